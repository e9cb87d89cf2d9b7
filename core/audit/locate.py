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
_GENESIS_ROW = -1


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
    """Group break positions lying within a window of each other."""
    groups: list[tuple[int, int]] = []
    for position in sorted(breaks):
        if groups and position - groups[-1][1] <= WINDOW:
            groups[-1] = (groups[-1][0], position)
        else:
            groups.append((position, position))
    return groups


async def locate(pool: asyncpg.Pool, breaks: Sequence[int]) -> list[Finding]:
    """Explain chain breaks (positions whose chain hash does not follow the one before)."""
    found: list[Finding] = []
    for first, last in clusters(breaks):
        anchor = first - WINDOW - 1  # a row before the window, taken to be in place
        records = await pool.fetch(
            "SELECT l.position, l.chain_hash, e.content_hash"
            " FROM event_log l JOIN events e USING (event_id)"
            " WHERE l.position >= $1 AND l.position <= $2 ORDER BY l.position",
            max(anchor, 1),
            last + WINDOW,
        )
        rows = [_Row(*r) for r in records]
        found.extend(explain(rows, anchored=anchor >= 1))
    return found


def explain(rows: list[_Row], anchored: bool) -> list[Finding]:
    """Findings for a window of rows; with ``anchored`` the first row is known to be in place."""
    start = 1 if anchored else 0
    preds = {i: _predecessor(rows, i) for i in range(start, len(rows))}

    followed = set(preds.values())

    def inserted(i: int) -> bool:
        """Nothing follows it, and the next row follows the one before it."""
        return i not in followed and i + 1 < len(rows) and preds.get(i + 1) == i - 1

    expected: dict[int, int | None] = {}
    due = rows[0].position if anchored else 0
    for i in range(start, len(rows)):
        if inserted(i):
            expected[i] = None
        else:
            due += 1
            expected[i] = due

    origins: dict[int, int | None] = {0: rows[0].position} if anchored else {}

    def origin(i: int, depth: int = 0) -> int | None:
        if i in origins:
            return origins[i]
        origins[i] = None  # a cycle resolves to unknown
        pred = preds[i]
        if pred == _GENESIS_ROW:
            value: int | None = 1
        elif pred is None:
            value = expected[i]
        else:
            before = origin(pred, depth + 1) if depth < len(rows) else None
            value = None if before is None else before + 1
        origins[i] = value
        return value

    found = []
    for i in range(start, len(rows)):
        row = rows[i]
        if inserted(i):
            found.append(
                Finding(
                    "inserted",
                    row.position,
                    "no event follows it: the next one follows the event before it",
                )
            )
        elif preds[i] is None:
            found.append(
                Finding(
                    "chain_broken",
                    row.position,
                    "does not follow the event before it: an event was removed just before it "
                    "(positions renumbered), or it was rewritten with a new content hash",
                )
            )
        else:
            was = origin(i)
            if was is not None and was != expected[i]:
                found.append(
                    Finding("reordered", row.position, f"the event logged at position {was}")
                )
    return found


def _predecessor(rows: list[_Row], i: int) -> int | None:
    """The index of the row ``rows[i]`` was chained after (``_GENESIS_ROW``: the first)."""
    row = rows[i]
    order = [i - 1, *(j for j in range(len(rows)) if j not in (i, i - 1))]
    for j in order:
        if j >= 0 and chain_hash(rows[j].chain, row.content) == row.chain:
            return j
    if chain_hash(GENESIS, row.content) == row.chain:
        return _GENESIS_ROW
    return None
