"""``khidma audit export``: the log with its hashes, and the checkpoints, as NDJSON.

Lines, each a JSON object with a ``kind``: one ``header``; every ``checkpoint``; a
``consistency`` proof between each two successive checkpoints; every ``event`` in position
order (all the fields its content hash covers, and its content and chain hashes); one ``end``
with the counts, so a truncated file is noticed. ``standalone.py`` reads it with no database.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import BinaryIO

import asyncpg
import orjson

from . import checkpoints
from .proofs import AuditError, log_tree
from .records import EVENT_COLUMNS, event_json
from .standalone import EXPORT_FORMAT

_PAGE = 10_000


def _line(record: dict[str, object]) -> bytes:
    return orjson.dumps(record) + b"\n"


async def export(pool: asyncpg.Pool, out: BinaryIO) -> tuple[int, int]:
    """Write the export to ``out``; return (events, checkpoints) written."""
    head = await pool.fetchval("SELECT last_position FROM sequencer_state")
    sealed = [c for c in await checkpoints.all_checkpoints(pool) if c.size <= head]
    out.write(
        _line(
            {
                "kind": "header",
                "format": EXPORT_FORMAT,
                "leaf": "content_hash",
                "events": head,
                "key_ids": sorted({c.key_id for c in sealed}),
                "exported_at": datetime.now(UTC).isoformat(),
            }
        )
    )
    for checkpoint in sealed:
        out.write(_line(checkpoint.to_json()))
    try:
        tree = await log_tree(pool, sealed[-1].size) if len(sealed) > 1 else None
    except AuditError:  # rows are missing: the verifier will say where, and miss the proofs
        tree = None
    if tree is not None:
        for old, new in itertools.pairwise(sealed):
            path = tree.consistency_proof(old.size, new.size)
            out.write(
                _line(
                    {
                        "kind": "consistency",
                        "old": old.size,
                        "new": new.size,
                        "path": [h.hex() for h in path],
                    }
                )
            )
    written, after = 0, 0
    while after < head:
        rows = await pool.fetch(
            f"SELECT {EVENT_COLUMNS} FROM event_log l JOIN events e USING (event_id)"
            " WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position LIMIT $3",
            after,
            head,
            _PAGE,
        )
        if not rows:
            break
        out.write(b"".join(_line(event_json(row)) for row in rows))
        written += len(rows)
        after = rows[-1][0]
    out.write(_line({"kind": "end", "events": written, "checkpoints": len(sealed)}))
    return written, len(sealed)
