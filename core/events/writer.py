"""The write path: every write is checked and hashed here, then appended or recorded.

Concurrent appends (16 writers at the counters of one process) queue up and go out together as
one multi-row INSERT, at most ``IN_FLIGHT`` statements at a time: one round trip and one commit
for many commands. Each append keeps its own expected-version check (per row, in the same
statement), so one stale writer fails alone. Records (caller-fixed versions, with a command's
idempotency key) are grouped the same way by recorder.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from .batching import Batcher, Pending
from .errors import ConcurrencyError
from .hashing import canonical_metadata, content_hash
from .lending import Lender
from .recorder import Record, Recorder
from .records import Appended, CommandRecord, PendingEvent, Tracking, check_events, check_metadata
from .sequencer import Sequencer

log = logging.getLogger(__name__)

IN_FLIGHT = 2
MAX_BATCH_EVENTS = 5_000

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


class Writer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        lender: Lender,
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
        self._recorder = Recorder(pool, lender, on_written)

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
        reads: Mapping[UUID, int] | None = None,
    ) -> Appended:
        """Write events with caller-fixed versions (with the command's idempotency row, or a
        tracking position), all or none; stale if a stream in ``reads`` moved past the version
        given."""
        meta, hashes = self._prepared(events, metadata)
        record = Record(events, meta, hashes, command, reads or {})
        return await self._recorder.record(record, tracking)

    def _prepared(
        self, events: list[PendingEvent], metadata: Mapping[str, Any] | None
    ) -> tuple[bytes, list[bytes]]:
        """Refuse bad input; the canonical metadata and each event's content hash."""
        check_events(events, self._max_bytes)
        meta = canonical_metadata(check_metadata(metadata))
        return meta, [content_hash(e.stream_id, e.version, e.topic, e.data, meta) for e in events]

    async def version(self, stream_id: UUID) -> int:
        """The stream's current version (0 if it has no events)."""
        return await self._recorder.version(stream_id)

    async def moved(self, seen: Mapping[UUID, int]) -> list[UUID]:
        """The streams of ``seen`` with an event past the version given."""
        return await self._recorder.moved(seen)
