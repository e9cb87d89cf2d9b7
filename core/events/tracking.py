"""Tracking: how far a consumer of the log has got, written with what it wrote (exactly once)."""

from __future__ import annotations

import asyncpg

from .errors import InvalidEventError, TrackingError
from .records import Tracking

# A consumer's position only moves forward: an equal or lower one returns no row.
_TRACK = (
    "INSERT INTO tracking (tracker, upstream, position) VALUES ($1, $2, $3)"
    " ON CONFLICT (tracker, upstream) DO UPDATE"
    " SET position = excluded.position, recorded_at = clock_timestamp()"
    " WHERE tracking.position < excluded.position RETURNING position"
)


async def track(conn: asyncpg.Pool | asyncpg.Connection, tracking: Tracking) -> None:
    """Move ``tracking.tracker`` forward; TrackingError if it is already there or past."""
    if not isinstance(tracking.position, int) or isinstance(tracking.position, bool):
        raise InvalidEventError("tracking.position", "expected an integer")
    row = await conn.fetchrow(_TRACK, tracking.tracker, tracking.upstream, tracking.position)
    if row is None:
        raise TrackingError(tracking)


async def tracked(
    conn: asyncpg.Pool | asyncpg.Connection, tracker: str, upstream: str
) -> int | None:
    """The last position of ``upstream`` that ``tracker`` recorded, or None."""
    return await conn.fetchval(
        "SELECT position FROM tracking WHERE tracker = $1 AND upstream = $2", tracker, upstream
    )
