"""Inclusion and consistency proofs from the log, as documents an outsider checks alone.

Each document carries the signed checkpoints it relies on; ``standalone.py`` verifies it with
the public key and nothing else.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from . import checkpoints
from .merkle import Tree, tree_of_contents
from .records import EVENT_COLUMNS, event_json


class AuditError(ValueError):
    """A request the audit commands cannot answer, with the reason in words."""


async def log_tree(pool: asyncpg.Pool, size: int) -> Tree:
    """The Merkle tree over the first ``size`` log entries, as the database holds them."""
    rows = await pool.fetch(
        "SELECT e.content_hash FROM event_log l JOIN events e USING (event_id)"
        " WHERE l.position <= $1 ORDER BY l.position",
        size,
    )
    if len(rows) != size:
        raise AuditError(f"the log has {len(rows)} of positions 1-{size}: run khidma audit verify")
    return tree_of_contents([r[0] for r in rows])


async def _sizes(pool: asyncpg.Pool) -> str:
    sizes = [r[0] for r in await pool.fetch("SELECT size FROM checkpoints ORDER BY size")]
    if not sizes:
        return "there are no checkpoints yet (khidma audit seal makes one)"
    shown = ", ".join(map(str, sizes[-10:]))
    return f"checkpoint sizes: {'…, ' if len(sizes) > 10 else ''}{shown}"


async def inclusion(pool: asyncpg.Pool, position: int) -> dict[str, Any]:
    """Proof that the event at ``position`` is in the first checkpoint that covers it."""
    head = await pool.fetchval("SELECT last_position FROM sequencer_state")
    if not 1 <= position <= head:
        raise AuditError(f"position {position} is not in the log (positions 1-{head})")
    checkpoint = await checkpoints.covering(pool, position)
    if checkpoint is None:
        raise AuditError(f"position {position} is not under a checkpoint yet; {await _sizes(pool)}")
    row = await pool.fetchrow(
        f"SELECT {EVENT_COLUMNS} FROM event_log l JOIN events e USING (event_id)"
        " WHERE l.position = $1",
        position,
    )
    if row is None:
        raise AuditError(f"position {position} has no event: run khidma audit verify")
    tree = await log_tree(pool, checkpoint.size)
    return {
        "kind": "inclusion",
        "position": position,
        "content_hash": row["content_hash"].hex(),
        "event": event_json(row),
        "checkpoint": checkpoint.to_json(),
        "path": [h.hex() for h in tree.inclusion_proof(position - 1, checkpoint.size)],
    }


async def consistency(pool: asyncpg.Pool, old: int, new: int) -> dict[str, Any]:
    """Proof that checkpoint ``new`` extends checkpoint ``old`` (both are checkpoint sizes)."""
    if not 1 <= old <= new:
        raise AuditError(f"OLD must be at least 1 and at most NEW (got {old} and {new})")
    found = {}
    for size in (old, new):
        checkpoint = await checkpoints.at_size(pool, size)
        if checkpoint is None:
            raise AuditError(f"no checkpoint of size {size}; {await _sizes(pool)}")
        found[size] = checkpoint
    tree = await log_tree(pool, new)
    return {
        "kind": "consistency",
        "old": found[old].to_json(),
        "new": found[new].to_json(),
        "path": [h.hex() for h in tree.consistency_proof(old, new)],
    }
