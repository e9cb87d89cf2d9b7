"""Snapshots of aggregates: a shortcut for loading, not events; never chained or logged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

import asyncpg

from .errors import ConcurrencyError
from .records import PendingEvent, check_events

_INSERT = (
    "INSERT INTO snapshots (stream_id, version, topic, data)"
    " SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[])"
)
_SELECT = (
    "SELECT stream_id, version, topic, data FROM snapshots WHERE stream_id = $1"
    " AND ($2::bigint IS NULL OR version > $2) AND ($3::bigint IS NULL OR version <= $3)"
    " ORDER BY version {order} LIMIT $4"
)


# One round trip for loading aggregates: for each stream, at a version the caller already holds
# ($2; 0 for none) and up to $3 (the latest version when NULL), its newest snapshot above what
# is held, then its events after both. Per-stream LATERAL index scans, whatever the statistics
# say: a cached generic plan made while the tables were small once hash-joined a full scan of
# events into every load.
_LOAD = """
WITH s AS (
    SELECT i.stream_id, i.known, sn.version, sn.topic, sn.data
    FROM unnest($1::uuid[], $2::bigint[]) AS i(stream_id, known)
    LEFT JOIN LATERAL (
        SELECT version, topic, data FROM snapshots
        WHERE stream_id = i.stream_id AND version > i.known
          AND ($3::bigint IS NULL OR version <= $3)
        ORDER BY version DESC LIMIT 1
    ) sn ON true
)
SELECT stream_id, true AS snapshot, version, topic, data FROM s WHERE version IS NOT NULL
UNION ALL
SELECT s.stream_id, false, e.version, e.topic, e.data
FROM s CROSS JOIN LATERAL (
    SELECT version, topic, data FROM events
    WHERE stream_id = s.stream_id AND version > greatest(s.known, coalesce(s.version, 0))
      AND ($3::bigint IS NULL OR version <= $3)
    ORDER BY version OFFSET 0
) e
ORDER BY 1, 2 DESC, 3
"""

Loaded = dict[UUID, tuple[PendingEvent | None, list[PendingEvent]]]


class Snapshots:
    def __init__(self, pool: asyncpg.Pool, max_bytes: int) -> None:
        self._pool = pool
        self._max_bytes = max_bytes

    async def save(self, snapshots: Sequence[PendingEvent]) -> None:
        """Keep aggregates' states; a version already snapshotted raises ConcurrencyError."""
        check_events(snapshots, self._max_bytes)
        columns = ("stream_id", "version", "topic", "data")
        try:
            await self._pool.execute(
                _INSERT, *([getattr(s, c) for s in snapshots] for c in columns)
            )
        except asyncpg.UniqueViolationError:
            first = snapshots[0]
            raise ConcurrencyError(first.stream_id, first.version - 1, first.version) from None

    async def select(
        self,
        stream_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[PendingEvent]:
        """Snapshots of a stream with ``gt < version <= lte``, oldest (or newest) first."""
        sql = _SELECT.format(order="DESC" if desc else "ASC")
        rows = await self._pool.fetch(sql, stream_id, gt, lte, limit)
        return [PendingEvent(*row) for row in rows]

    async def latest(self, stream_id: UUID, max_version: int | None = None) -> PendingEvent | None:
        """The newest snapshot at or below ``max_version``."""
        found = await self.select(stream_id, lte=max_version, desc=True, limit=1)
        return found[0] if found else None

    async def latest_and_after(
        self, stream_id: UUID, max_version: int | None = None
    ) -> tuple[PendingEvent | None, list[PendingEvent]]:
        """The newest snapshot at or below ``max_version`` and the events after it, at once."""
        found = await self.latest_and_after_many([stream_id], max_version)
        return found.get(stream_id, (None, []))

    async def latest_and_after_many(
        self, stream_ids: Sequence[UUID], max_version: int | None = None
    ) -> Loaded:
        """``latest_and_after`` for several streams in one round trip (absent ones left out)."""
        return await self.newer_than(dict.fromkeys(stream_ids, 0), max_version)

    async def newer_than(self, known: Mapping[UUID, int], max_version: int | None = None) -> Loaded:
        """For each stream, what is newer than the version held (0: none), up to
        ``max_version``, in one round trip: the newest snapshot (if any) and the events after it.

        A stream with nothing newer is left out.
        """
        asked = {s: s for s in known}  # asyncpg's own UUID type would leak into events
        rows = await self._pool.fetch(_LOAD, list(asked), list(known.values()), max_version)
        return _grouped(asked, rows)


def _grouped(asked: Mapping[UUID, UUID], rows: Sequence[asyncpg.Record]) -> Loaded:
    """Rows of the loading queries, per stream: the snapshot (if any) and the events after it."""
    found: Loaded = {}
    for got, is_snapshot, version, topic, data in rows:
        stream_id = asked[got]
        _, events = found.setdefault(stream_id, (None, []))
        record = PendingEvent(stream_id, version, topic, data)
        if is_snapshot:
            found[stream_id] = (record, events)
        else:
            events.append(record)
    return found
