"""Records: events whose versions the caller fixed (a command's aggregates), with the command's
idempotency row, written all-or-none per record.

Concurrent records share one statement. Sharing must not make one stale command fail the
others, so the statement writes only the records whose streams have not moved past the
versions they were computed from, and reports the rest stale. Two records of one batch on the
same stream cannot both be current: only the one computed from the newest version is sent, the
others are stale without asking. A record that collides with another process's concurrent
write, or reuses an idempotency key, fails the shared statement: each record is then sent
alone, so only that one fails. A record with a tracking position is always written alone, in a
transaction with its position.

A record may also name the versions of aggregates its command only read (``reads``): it is
stale, and written by nobody, if any of those streams has moved past them by the time it is
written. A command can then decide on aggregates it holds in memory without asking first,
and still never commits a decision made on a superseded catalog, centre or clerk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from .batching import Batcher, Pending
from .commands import COMMANDS_KEY
from .errors import ConcurrencyError, DuplicateCommandError
from .lending import Lender
from .records import Appended, CommandRecord, PendingEvent, Tracking
from .tracking import track

# Commits wait on the WAL flush, not the CPU: with several batches out, PostgreSQL flushes
# them together as it does for separate writers.
IN_FLIGHT = 8
MAX_BATCH_EVENTS = 5_000

# Several records: $7 numbers each row's record, $8 is the row's record's first version on
# that stream. A record any of whose streams has an event at or past that version is stale,
# and none of its rows is written (nor its command row, $9-$13); so is a record one of whose
# read streams ($14, record $16) has an event past the version it read ($15). Arrays of ids
# and numbers arrive as one text literal each (see _literal).
_RECORD_MANY = """
WITH u AS (
    SELECT * FROM unnest($1::text::uuid[], $2::text::bigint[], $3::text[], $4::bytea[],
                         $5::jsonb[], $6::bytea[], $7::text::int[], $8::text::bigint[])
                  AS u(s, v, t, d, m, h, r, f)
),
stale AS (
    SELECT u.r FROM u
    WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = u.s AND e.version >= u.f)
    UNION
    SELECT x.r FROM unnest($14::text::uuid[], $15::text::bigint[], $16::text::int[]) AS x(s, v, r)
    WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = x.s AND e.version > x.v)
),
ins AS (
    INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)
    SELECT s, v, t, d, m, h FROM u WHERE u.r NOT IN (SELECT r FROM stale)
    RETURNING event_id, tx_id::text, stream_id, version
),
cmd AS (
    INSERT INTO commands (idempotency_key, command, actor_id, result)
    SELECT k, c, a, res
    FROM unnest($9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text::int[])
         AS c(k, c, a, res, r)
    WHERE c.r NOT IN (SELECT r FROM stale)
)
SELECT event_id, tx_id, stream_id, version FROM ins ORDER BY event_id
"""


@dataclass(frozen=True, slots=True)
class Record:
    """One command's events (already checked and hashed) and its idempotency row."""

    events: list[PendingEvent]
    metadata: bytes
    hashes: list[bytes]
    command: CommandRecord | None
    reads: Mapping[UUID, int] = field(default_factory=dict)  # stream -> version read (0: none)
    # Each stream's first version in this record: the stream must not have reached it.
    first: dict[UUID, int] = field(init=False)

    def __post_init__(self) -> None:
        first: dict[UUID, int] = {}
        for e in self.events:
            if e.stream_id not in first or e.version < first[e.stream_id]:
                first[e.stream_id] = e.version
        object.__setattr__(self, "first", first)


class Recorder:
    def __init__(self, pool: asyncpg.Pool, lender: Lender, on_written: Callable[[], None]) -> None:
        self._pool = pool
        self._lender = lender
        self._on_written = on_written
        self._batcher: Batcher[Record, Appended] = Batcher(self._send, IN_FLIGHT, MAX_BATCH_EVENTS)

    async def record(self, record: Record, tracking: Tracking | None = None) -> Appended:
        """Write a record (with whatever else is waiting, unless it has a tracking position)."""
        if tracking is not None:
            return await self._alone(record, tracking)
        return await self._batcher.submit(record, len(record.events))

    async def version(self, stream_id: UUID) -> int:
        """The stream's current version (0 if it has no events)."""
        return await self._pool.fetchval(
            "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id
        )

    async def moved(self, seen: Mapping[UUID, int]) -> list[UUID]:
        """The streams of ``seen`` with an event past the version given, in its order."""
        rows = await self._pool.fetch(
            "SELECT u.s FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS u(s, v, n)"
            " WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = u.s AND e.version > u.v)"
            " ORDER BY u.n",
            list(seen),
            list(seen.values()),
        )
        return [r[0] for r in rows]

    async def _send(self, batch: list[Pending[Record, Appended]]) -> None:
        if len(batch) == 1:
            batch[0].done.set_result(await self._alone(batch[0].item))
            return
        sent, outrun = _newest_per_stream(batch)
        try:
            rows = await self._lender.fetch(_RECORD_MANY, *_columns([p.item for p in sent]))
        except asyncpg.UniqueViolationError:
            # Another process's concurrent write, or a used key: each alone finds out whose.
            for pending in sent:
                try:
                    pending.done.set_result(await self._alone(pending.item))
                except (ConcurrencyError, DuplicateCommandError) as error:
                    pending.done.set_exception(error)
            await self._outrun(outrun)
            return
        if rows:
            self._on_written()
        written = {(row[2], row[3]): row[0] for row in rows}
        order = {event_id: i for i, event_id in enumerate(sorted(written.values()))}
        tx = int(rows[0][1]) if rows else 0
        for pending in sent:
            r = pending.item
            mine = [written.get((e.stream_id, e.version)) for e in r.events]
            if None in mine:
                pending.done.set_exception(await self._stale(r))
                continue
            ids = tuple(sorted(mine))  # type: ignore[type-var]
            pending.done.set_result(Appended(tx, ids, _last_versions(r.events), order[ids[0]]))
        await self._outrun(outrun)

    async def _outrun(self, outrun: list[tuple[Pending[Record, Appended], UUID]]) -> None:
        """Fail the records another record of their batch made stale, naming the stream."""
        for pending, stream_id in outrun:
            error = ConcurrencyError(stream_id, None, await self.version(stream_id))
            pending.done.set_exception(error)

    async def _alone(self, r: Record, tracking: Tracking | None = None) -> Appended:
        """One record in one statement (in a transaction with its tracking position)."""
        args = _columns([r])
        try:
            if tracking is None:
                rows = await self._lender.fetch(_RECORD_MANY, *args)
            else:
                async with self._pool.acquire() as conn, conn.transaction():
                    rows = await conn.fetch(_RECORD_MANY, *args)
                    if rows:
                        await track(conn, tracking)
        except asyncpg.UniqueViolationError as error:
            if r.command is not None and error.constraint_name == COMMANDS_KEY:
                raise DuplicateCommandError(r.command.idempotency_key) from None
            stream_id = await self._first_taken(r.events)
            raise ConcurrencyError(stream_id, None, await self.version(stream_id)) from None
        if not rows:
            raise await self._stale(r)
        self._on_written()
        return Appended(int(rows[0][1]), tuple(r[0] for r in rows), _last_versions(r.events))

    async def _stale(self, r: Record) -> ConcurrencyError:
        """The error of a record found stale: names the first stream that moved on."""
        first = r.first
        moved = await self.moved({**r.reads, **{s: v - 1 for s, v in first.items()}})
        stream_id = moved[0] if moved else r.events[0].stream_id
        expected = first[stream_id] - 1 if stream_id in first else r.reads.get(stream_id)
        return ConcurrencyError(stream_id, expected, await self.version(stream_id))

    async def _first_taken(self, events: Sequence[PendingEvent]) -> UUID:
        row = await self._pool.fetchrow(
            "SELECT u.s FROM unnest($1::uuid[], $2::bigint[]) AS u(s, v)"
            " WHERE EXISTS (SELECT 1 FROM events e WHERE e.stream_id = u.s AND e.version = u.v)"
            " LIMIT 1",
            [e.stream_id for e in events],
            [e.version for e in events],
        )
        return row[0] if row else events[0].stream_id


def _newest_per_stream(
    batch: list[Pending[Record, Appended]],
) -> tuple[list[Pending[Record, Appended]], list[tuple[Pending[Record, Appended], UUID]]]:
    """Split a batch into the records that may be current and those outrun by another record
    of the batch: computed from an older version of a stream (or the same one, but later)."""
    best: dict[UUID, tuple[int, int]] = {}  # stream -> (first version, index in the batch)
    for i, pending in enumerate(batch):
        for stream_id, first in pending.item.first.items():
            if stream_id not in best or first > best[stream_id][0]:
                best[stream_id] = (first, i)
    sent, outrun = [], []
    for i, pending in enumerate(batch):
        lost = [s for s in pending.item.first if best[s][1] != i]
        if lost:
            outrun.append((pending, lost[0]))
        else:
            sent.append(pending)
    return sent, outrun


def _columns(records: list[Record]) -> list[list[Any]]:
    """The statement's arrays: one row per event, then one per command."""
    rows: list[tuple[Any, ...]] = []
    commands: list[tuple[Any, ...]] = []
    reads: list[list[Any]] = [[], [], []]
    for r, record in enumerate(records):
        for stream_id, version in record.reads.items():
            reads[0].append(stream_id)
            reads[1].append(version)
            reads[2].append(r)
        first = record.first
        for e, digest in zip(record.events, record.hashes, strict=True):
            rows.append(
                (
                    e.stream_id,
                    e.version,
                    e.topic,
                    e.data,
                    record.metadata,
                    digest,
                    r,
                    first[e.stream_id],
                )
            )
        if record.command is not None:
            commands.append((*record.command.arguments(), r))
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
    commanded = [list(c) for c in zip(*commands, strict=True)] if commands else [[]] * 5
    arrays = columns + commanded + reads
    return [_literal(a) if i in _LITERALS else a for i, a in enumerate(arrays)]


# The statement's arrays of ids and numbers (stream, version, record, first version; the
# commands' record; the reads' stream, version and record), by index.
_LITERALS = frozenset({0, 1, 6, 7, 12, 13, 14, 15})


def _literal(values: list[Any]) -> str:
    """An array of ids or numbers as one PostgreSQL array literal (``{1,2,3}``).

    asyncpg checks each element of an array parameter against three collections ABCs, in
    Python: that was a third of the CPU of encoding a batch (9 submissions: 346 µs, as
    literals 252). Ids and numbers print with nothing to quote or escape.
    """
    return "{" + ",".join(map(str, values)) + "}"


def _last_versions(events: Sequence[PendingEvent]) -> dict[UUID, int]:
    last: dict[UUID, int] = {}
    for e in events:
        last[e.stream_id] = max(e.version, last.get(e.stream_id, 0))
    return last
