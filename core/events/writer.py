"""The write path: appends grouped into shared statements, and single-statement records.

Concurrent appends (16 writers at the counters of one process) queue up and go out together as
one multi-row INSERT, at most ``IN_FLIGHT`` statements at a time: one round trip and one commit
for many commands. Each append keeps its own expected-version check (per row, in the same
statement), so one stale writer fails alone. Records (caller-fixed versions, a command's
idempotency key, a tracking position) are written one statement each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

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
# Insert, commit, then a sequencer pass: one round trip (migration 0005). Each row carries its
# append's expected version; the check and the insert are one statement, so a writer that
# commits in between is caught by UNIQUE(stream_id, version).
_APPEND_MANY = "CALL append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"


@dataclass(slots=True)
class _Append:
    events: list[PendingEvent]
    metadata: bytes
    hashes: list[bytes]
    expected: int
    done: asyncio.Future[Appended] = field(repr=False)


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
        self._queue: list[_Append] = []
        self._draining = 0  # counted by hand: a finished task leaves the set a loop turn later
        self._tasks: set[asyncio.Task[None]] = set()

    # -- appends ---------------------------------------------------------------------------

    async def append(
        self, events: list[PendingEvent], metadata: Mapping[str, Any] | None, expected: int
    ) -> Appended:
        """Queue an append; it goes out with whatever else is waiting."""
        meta, hashes = self._prepared(events, metadata)
        done: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._queue.append(_Append(events, meta, hashes, expected, done))
        if self._draining < IN_FLIGHT:
            self._draining += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await done

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, size = [], 0
                while self._queue and (not batch or size < MAX_BATCH_EVENTS):
                    batch.append(self._queue.pop(0))
                    size += len(batch[-1].events)
                await self._send(batch)
        finally:
            # No await between the empty queue above and this: an append queued from here on
            # sees the count and starts a drain of its own.
            self._draining -= 1

    async def _send(self, batch: list[_Append]) -> None:
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [], [])
        for a in batch:
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
                for a in batch:
                    await self._send([a])
                return
            row = None
        except Exception as error:
            for a in batch:
                if not a.done.done():
                    a.done.set_exception(error)
            return
        except BaseException:
            for a in batch:
                a.done.cancel()
            raise
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
        for a in batch:
            mine = [written.get((e.stream_id, e.version)) for e in a.events]
            if a.done.done():
                continue
            if any(event_id is None for event_id in mine):
                stream = a.events[0].stream_id
                a.done.set_exception(
                    ConcurrencyError(stream, a.expected, await self.version(stream))
                )
                continue
            ids = tuple(sorted(mine))  # type: ignore[type-var]
            versions = {a.events[0].stream_id: a.events[-1].version}
            a.done.set_result(Appended(tx, ids, versions, order[ids[0]]))

    # -- records ---------------------------------------------------------------------------

    async def record(
        self,
        events: list[PendingEvent],
        metadata: Mapping[str, Any] | None,
        tracking: Tracking | None = None,
        command: CommandRecord | None = None,
    ) -> Appended:
        """One statement (with the command's idempotency row, or a tracking position)."""
        meta, hashes = self._prepared(events, metadata)
        args: list[Any] = [
            [e.stream_id for e in events],
            [e.version for e in events],
            [e.topic for e in events],
            [e.data for e in events],
            meta,
            hashes,
        ]
        sql = _INSERT
        if command is not None:
            sql = with_command(sql, len(args) + 1)
            args.extend(command.arguments())
        try:
            if tracking is None:
                rows = await self._pool.fetch(sql, *args)
            else:
                async with self._pool.acquire() as conn, conn.transaction():
                    rows = await conn.fetch(sql, *args)
                    await track(conn, tracking)
        except asyncpg.UniqueViolationError as error:
            if command is not None and error.constraint_name == COMMANDS_KEY:
                raise DuplicateCommandError(command.idempotency_key) from None
            stream_id = await self._first_taken(events)
            raise ConcurrencyError(stream_id, None, await self.version(stream_id)) from None
        self._on_written()
        last_versions: dict[UUID, int] = {}
        for e in events:
            last_versions[e.stream_id] = max(e.version, last_versions.get(e.stream_id, 0))
        return Appended(int(rows[0][1]), tuple(sorted(r[0] for r in rows)), last_versions)

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
