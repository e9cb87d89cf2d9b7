"""The write path: appends and records, grouped into shared statements.

Concurrent appends (16 writers at the counters of one process) queue up and go out together as
one multi-row INSERT, at most ``IN_FLIGHT`` statements at a time: one round trip and one commit
for many commands. Each append keeps its own expected-version check (per row, in the same
statement), so one stale writer fails alone. Records (caller-fixed versions, with a command's
idempotency key) are grouped the same way; if a grouped statement collides with anything, each
record in it is sent again alone, so only the one that collided fails. A record with a tracking
position is written alone, in a transaction with its position.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from .batching import Batcher, Pending
from .commands import COMMANDS_KEY, with_command
from .errors import ConcurrencyError, DuplicateCommandError
from .hashing import canonical_metadata, content_hash
from .records import Appended, CommandRecord, PendingEvent, Tracking, check_events, check_metadata
from .sequencer import Sequencer
from .tracking import track

log = logging.getLogger(__name__)

IN_FLIGHT = 2
MAX_BATCH_EVENTS = 5_000

_INSERT = """
INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)
SELECT s, v, t, d, $5::jsonb, h
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[], $6::bytea[]) AS u(s, v, t, d, h)
RETURNING event_id, tx_id::text
"""
# Several commands' records: their events and their idempotency rows, in one statement.
_RECORD_MANY = """
WITH ins AS (
    INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)
    SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[], $5::jsonb[],
                         $6::bytea[])
    RETURNING event_id, tx_id::text
),
cmd AS (
    INSERT INTO commands (idempotency_key, command, actor_id, result)
    SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::jsonb[])
)
SELECT event_id, tx_id FROM ins ORDER BY event_id
"""
# Insert, commit, then a sequencer pass: one round trip (migration 0005). Each row carries its
# append's expected version; the check and the insert are one statement, so a writer that
# commits in between is caught by UNIQUE(stream_id, version).
_APPEND_MANY = "CALL append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"


@dataclass(frozen=True, slots=True)
class _Append:
    events: list[PendingEvent]
    metadata: bytes
    hashes: list[bytes]
    expected: int


@dataclass(frozen=True, slots=True)
class _Record:
    events: list[PendingEvent]
    metadata: bytes
    hashes: list[bytes]
    command: CommandRecord | None


class Writer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        max_bytes: int,
        on_written: Callable[[], None],
        sequencer: Sequencer,
    ) -> None:
        self._pool = pool
        self._sequencer = sequencer
        self._max_bytes = max_bytes
        self._on_written = on_written
        self._appends: Batcher[_Append, Appended] = Batcher(
            self._send_appends, IN_FLIGHT, MAX_BATCH_EVENTS
        )
        self._records: Batcher[_Record, Appended] = Batcher(
            self._send_records, IN_FLIGHT, MAX_BATCH_EVENTS
        )

    # -- appends ---------------------------------------------------------------------------

    async def append(
        self, events: list[PendingEvent], metadata: Mapping[str, Any] | None, expected: int
    ) -> Appended:
        """Queue an append; it goes out with whatever else is waiting."""
        meta, hashes = self._prepared(events, metadata)
        return await self._appends.submit(_Append(events, meta, hashes, expected), len(events))

    async def _send_appends(self, batch: list[Pending[_Append, Appended]]) -> None:
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
        for pending in batch:
            a = pending.item
            for event, digest in zip(a.events, a.hashes, strict=True):
                for column, value in zip(
                    columns,
                    (
                        event.stream_id,
                        event.version,
                        event.topic,
                        event.data,
                        a.metadata,
                        digest,
                        a.expected,
                    ),
                    strict=True,
                ):
                    column.append(value)
        try:
            row = await self._pool.fetchrow(_APPEND_MANY, *columns, *self._sequencer.pass_arguments)
        except asyncpg.UniqueViolationError:
            if len(batch) > 1:  # someone in the batch lost a race: find out who, one by one
                for pending in batch:
                    await self._send_appends([pending])
                return
            row = None
        written: dict[tuple[UUID, int], int] = {}
        tx = 0
        if row is not None and row["ids"] is not None:
            tx = int(row["tx"])
            keys = zip(row["w_streams"], row["w_versions"], strict=True)
            written = dict(zip(keys, row["ids"], strict=True))
            self._on_written()
            if row["seq_error"] is not None:
                log.warning("sequencer pass after an append failed: %s", row["seq_error"])
            if row["seq_count"] is not None:
                self._sequencer.absorb(
                    row["seq_txs"],
                    row["seq_firsts"],
                    row["seq_tx"],
                    row["seq_event_id"],
                    row["seq_position"],
                )
        order = {event_id: i for i, event_id in enumerate(sorted(written.values()))}
        for pending in batch:
            a = pending.item
            mine = [written.get((e.stream_id, e.version)) for e in a.events]
            if pending.done.done():
                continue
            if any(event_id is None for event_id in mine):
                stream = a.events[0].stream_id
                pending.done.set_exception(
                    ConcurrencyError(stream, a.expected, await self.version(stream))
                )
                continue
            ids = tuple(sorted(mine))  # type: ignore[type-var]
            versions = {a.events[0].stream_id: a.events[-1].version}
            pending.done.set_result(Appended(tx, ids, versions, order[ids[0]]))

    # -- records ---------------------------------------------------------------------------

    async def record(
        self,
        events: list[PendingEvent],
        metadata: Mapping[str, Any] | None,
        tracking: Tracking | None = None,
        command: CommandRecord | None = None,
    ) -> Appended:
        """Write events with caller-fixed versions (with the command's idempotency row, or a
        tracking position); records without a tracking position share statements."""
        meta, hashes = self._prepared(events, metadata)
        if tracking is not None:
            return await self._record_alone(_Record(events, meta, hashes, command), tracking)
        return await self._records.submit(_Record(events, meta, hashes, command), len(events))

    async def _send_records(self, batch: list[Pending[_Record, Appended]]) -> None:
        if len(batch) == 1:
            batch[0].done.set_result(await self._record_alone(batch[0].item))
            return
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        commands: tuple[list[Any], ...] = ([], [], [], [])
        for pending in batch:
            r = pending.item
            for event, digest in zip(r.events, r.hashes, strict=True):
                values = (event.stream_id, event.version, event.topic, event.data, r.metadata)
                for column, value in zip(columns, (*values, digest), strict=True):
                    column.append(value)
            if r.command is not None:
                for column, value in zip(commands, r.command.arguments(), strict=True):
                    column.append(value)
        try:
            rows = await self._pool.fetch(_RECORD_MANY, *columns, *commands)
        except asyncpg.UniqueViolationError:
            # A stale version or a used key, somewhere: each alone finds out whose it was.
            for pending in batch:
                try:
                    pending.done.set_result(await self._record_alone(pending.item))
                except (ConcurrencyError, DuplicateCommandError) as error:
                    pending.done.set_exception(error)
            return
        self._on_written()
        tx = int(rows[0][1])
        ids = iter(r[0] for r in rows)  # in insertion order: each record's events in turn
        offset = 0
        for pending in batch:
            r = pending.item
            mine = tuple(next(ids) for _ in r.events)
            pending.done.set_result(Appended(tx, mine, _last_versions(r.events), offset))
            offset += len(mine)

    async def _record_alone(self, r: _Record, tracking: Tracking | None = None) -> Appended:
        """One record in one statement (in a transaction with its tracking position)."""
        events = r.events
        args: list[Any] = [
            [e.stream_id for e in events],
            [e.version for e in events],
            [e.topic for e in events],
            [e.data for e in events],
            r.metadata,
            r.hashes,
        ]
        sql = _INSERT
        if r.command is not None:
            sql = with_command(sql, len(args) + 1)
            args.extend(r.command.arguments())
        try:
            if tracking is None:
                rows = await self._pool.fetch(sql, *args)
            else:
                async with self._pool.acquire() as conn, conn.transaction():
                    rows = await conn.fetch(sql, *args)
                    await track(conn, tracking)
        except asyncpg.UniqueViolationError as error:
            if r.command is not None and error.constraint_name == COMMANDS_KEY:
                raise DuplicateCommandError(r.command.idempotency_key) from None
            stream_id = await self._first_taken(events)
            raise ConcurrencyError(stream_id, None, await self.version(stream_id)) from None
        self._on_written()
        return Appended(int(rows[0][1]), tuple(sorted(r[0] for r in rows)), _last_versions(events))

    def _prepared(
        self, events: list[PendingEvent], metadata: Mapping[str, Any] | None
    ) -> tuple[bytes, list[bytes]]:
        """Refuse bad input; the canonical metadata and each event's content hash."""
        check_events(events, self._max_bytes)
        meta = canonical_metadata(check_metadata(metadata))
        return meta, [content_hash(e.stream_id, e.version, e.topic, e.data, meta) for e in events]

    async def _first_taken(self, events: Sequence[PendingEvent]) -> UUID:
        row = await self._pool.fetchrow(
            "SELECT stream_id FROM events e JOIN unnest($1::uuid[], $2::bigint[]) AS u(s, v)"
            " ON e.stream_id = u.s AND e.version = u.v LIMIT 1",
            [e.stream_id for e in events],
            [e.version for e in events],
        )
        return row["stream_id"] if row else events[0].stream_id

    async def version(self, stream_id: UUID) -> int:
        """The stream's current version (0 if it has no events)."""
        return await self._pool.fetchval(
            "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id
        )


def _last_versions(events: Sequence[PendingEvent]) -> dict[UUID, int]:
    last: dict[UUID, int] = {}
    for e in events:
        last[e.stream_id] = max(e.version, last.get(e.stream_id, 0))
    return last
