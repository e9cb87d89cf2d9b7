"""Naming what happened where the hash chain breaks: an insertion, a reordering, or a removal.

Rows moved by direct SQL keep their chain hashes, so each row's true predecessor can be found
among its neighbours: the row ``q`` with ``SHA-256(chain(q) || content(row)) == chain(row)``.
From those links, a row that nothing follows, skipped by the next row, was inserted; a row whose
predecessor sits elsewhere was reordered (its original position follows from the links); a row
that follows nobody but is followed by the next one had its predecessor removed, or was
rewritten together with its content hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from ..events.hashing import GENESIS, chain_hash

WINDOW = 8
MAX_BREAKS = 200  # explained one by one; more are only listed
_GENESIS_ROW = (-1, -1)
_NOWHERE = (-2, -2)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found wrong; ``position`` names the log position (None: not one event)."""

    kind: str
    position: int | None
    detail: str

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        return f"{self.kind:<18} {where}{self.detail}"


@dataclass(frozen=True, slots=True)
class _Row:
    position: int
    chain: bytes
    content: bytes


def clusters(breaks: Sequence[int]) -> list[tuple[int, int]]:
    """Group break positions whose windows would touch."""
    groups: list[tuple[int, int]] = []
    for position in sorted(breaks):
        if groups and position - groups[-1][1] <= 2 * WINDOW + 2:
            groups[-1] = (groups[-1][0], position)
        else:
            groups.append((position, position))
    return groups


async def locate(pool: asyncpg.Pool, breaks: Sequence[int]) -> list[Finding]:
    """Explain chain breaks (positions whose chain hash does not follow the one before)."""
    windows: list[tuple[list[_Row], bool]] = []
    for first, last in clusters(breaks[:MAX_BREAKS]):
        anchor = first - WINDOW - 1  # a row before the window, taken to be in place
        records = await pool.fetch(
            "SELECT l.position, l.chain_hash, e.content_hash"
            " FROM event_log l JOIN events e USING (event_id)"
            " WHERE l.position >= $1 AND l.position <= $2 ORDER BY l.position",
            max(anchor, 1),
            last + WINDOW,
        )
        windows.append(([_Row(*r) for r in records], anchor >= 1))
    found = explain(windows)
    for position in breaks[MAX_BREAKS:]:
        found.append(Finding("chain_broken", position, "does not follow the event before it"))
    return found


_Key = tuple[int, int]  # (window, index in it)


def explain(windows: Sequence[tuple[list[_Row], bool]]) -> list[Finding]:
    """Findings for windows of rows around breaks; an anchored window's first row is in place.

    A row's predecessor is looked for first just before it, then in every window, so an event
    moved far away is still recognised.
    """
    everything = [(w, i) for w, (rows, _) in enumerate(windows) for i in range(len(rows))]
    preds: dict[_Key, _Key | None] = {}
    for w, (rows, anchored) in enumerate(windows):
        for i in range(1 if anchored else 0, len(rows)):
            preds[w, i] = _predecessor(windows, (w, i), everything)
    followed = set(preds.values())

    def row(key: _Key) -> _Row:
        return windows[key[0]][0][key[1]]

    def inserted(key: _Key) -> bool:
        """Nothing follows it, and the next row follows the one before it."""
        w, i = key
        return key not in followed and preds.get((w, i + 1), _NOWHERE) == (w, i - 1)

    expected: dict[_Key, int | None] = {}
    origins: dict[_Key, int | None] = {}
    for w, (rows, anchored) in enumerate(windows):
        due = rows[0].position if anchored else 0
        if anchored:
            origins[w, 0] = due
        for i in range(1 if anchored else 0, len(rows)):
            if inserted((w, i)):
                expected[w, i] = None
            else:
                due += 1
                expected[w, i] = due

    def origin(key: _Key, depth: int = 0) -> int | None:
        if key in origins:
            return origins[key]
        origins[key] = None  # a cycle resolves to unknown
        pred = preds[key]
        if pred == _GENESIS_ROW:
            value: int | None = 1
        elif pred is None:
            value = expected[key]
        else:
            before = origin(pred, depth + 1) if depth < len(everything) else None
            value = None if before is None else before + 1
        origins[key] = value
        return value

    found = []
    for key in sorted(preds, key=lambda k: row(k).position):
        position = row(key).position
        if inserted(key):
            found.append(
                Finding(
                    "inserted",
                    position,
                    "no event follows it: the next one follows the event before it",
                )
            )
        elif preds[key] is None:
            found.append(
                Finding(
                    "chain_broken",
                    position,
                    "does not follow the event before it: an event was removed just before it "
                    "(positions renumbered), or it was rewritten with a new content hash",
                )
            )
        else:
            was = origin(key)
            if was is not None and was != expected[key]:
                found.append(Finding("reordered", position, f"the event logged at position {was}"))
    return found


def _predecessor(
    windows: Sequence[tuple[list[_Row], bool]], key: _Key, everything: list[_Key]
) -> _Key | None:
    """The row ``key`` was chained after (``_GENESIS_ROW``: the first), if among the windows."""
    w, i = key
    rows = windows[w][0]
    mine = rows[i]
    candidates = [(w, i - 1)] if i > 0 else []
    candidates += [k for k in everything if k != key and k != (w, i - 1)]
    for cw, ci in candidates:
        if chain_hash(windows[cw][0][ci].chain, mine.content) == mine.chain:
            return cw, ci
    if chain_hash(GENESIS, mine.content) == mine.chain:
        return _GENESIS_ROW
    return None
