"""Snapshots of aggregates: a shortcut for loading, not events; never chained or logged."""

from __future__ import annotations

from collections.abc import Sequence
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


# One round trip for loading aggregates: each stream's newest snapshot at or below $2 (the
# latest version when NULL), then its events after that snapshot, up to $2.
_LATEST_AND_AFTER = """
WITH ids AS (SELECT DISTINCT unnest($1::uuid[]) AS stream_id),
s AS (
    SELECT DISTINCT ON (sn.stream_id) sn.stream_id, sn.version, sn.topic, sn.data
    FROM snapshots sn JOIN ids USING (stream_id)
    WHERE $2::bigint IS NULL OR sn.version <= $2
    ORDER BY sn.stream_id, sn.version DESC
)
SELECT s.stream_id, true AS snapshot, s.version, s.topic, s.data FROM s
UNION ALL
SELECT e.stream_id, false, e.version, e.topic, e.data
FROM events e JOIN ids USING (stream_id) LEFT JOIN s USING (stream_id)
WHERE e.version > coalesce(s.version, 0) AND ($2::bigint IS NULL OR e.version <= $2)
ORDER BY 1, 2 DESC, 3
"""


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
    ) -> dict[UUID, tuple[PendingEvent | None, list[PendingEvent]]]:
        """``latest_and_after`` for several streams in one round trip (absent ones left out)."""
        found: dict[UUID, tuple[PendingEvent | None, list[PendingEvent]]] = {}
        asked = {s: s for s in stream_ids}  # asyncpg's own UUID type would leak into events
        rows = await self._pool.fetch(_LATEST_AND_AFTER, list(asked), max_version)
        for got, is_snapshot, version, topic, data in rows:
            stream_id = asked[got]
            _, events = found.setdefault(stream_id, (None, []))
            record = PendingEvent(stream_id, version, topic, data)
            if is_snapshot:
                found[stream_id] = (record, events)
            else:
                events.append(record)
        return found
