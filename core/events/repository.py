"""AggregateRepository: eventsourcing aggregates saved to and loaded from khidma's event store."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate, Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import TopicError, get_topic

from .batching import Batcher, Pending
from .errors import (
    AggregateNotFoundError,
    ConcurrencyError,
    InvalidEventError,
    UnknownTopicError,
)
from .records import Appended, CommandRecord, PendingEvent
from .sealing import Sealing
from .transcoder import new_mapper

if TYPE_CHECKING:
    from .store import EventStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Pending:
    """One aggregate's mapped events, and the snapshot to keep once they are written."""

    events: list[PendingEvent]
    snapshot: StoredEvent | None


class SharedAggregates:
    """Aggregates loaded to be read, not changed, kept between commands (least recently used
    dropped first). Never updated in place: other commands may be reading them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._held: OrderedDict[UUID, BaseAggregate[UUID]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def get(self, aggregate_id: UUID) -> BaseAggregate[UUID] | None:
        found = self._held.get(aggregate_id)
        if found is not None:
            self._held.move_to_end(aggregate_id)
        return found

    def version(self, aggregate_id: UUID) -> int:
        """The version held (0 if none)."""
        found = self._held.get(aggregate_id)
        return 0 if found is None else found.version

    def put(self, aggregate: BaseAggregate[UUID]) -> None:
        if self.capacity < 1:
            return
        self._held[aggregate.id] = aggregate
        self._held.move_to_end(aggregate.id)
        while len(self._held) > self.capacity:
            self._held.popitem(last=False)

    def forget(self, aggregate_id: UUID) -> None:
        self._held.pop(aggregate_id, None)

    def forget_subject(self, subject: UUID | None) -> None:
        """Drop what holds a forgotten citizen's data: theirs and their requests (None: all)."""
        if subject is None:
            self._held.clear()
            return
        for aggregate_id, aggregate in list(self._held.items()):
            if aggregate_id == subject or getattr(aggregate, "citizen_id", None) == subject:
                del self._held[aggregate_id]


class AggregateRepository:
    """Saves aggregates' pending events with optimistic concurrency; loads them via snapshots."""

    def __init__(
        self,
        store: EventStore,
        snapshot_every: int | None = None,
        mapper: Mapper[UUID] | None = None,
        sealing: Sealing | None = None,
    ) -> None:
        """``sealing`` (core/privacy) seals personal data; it replaces ``mapper``."""
        every = store.settings.snapshot_every if snapshot_every is None else snapshot_every
        if every < 1:
            raise ValueError(f"snapshot_every must be at least 1, got {every}")
        self.store = store
        self.snapshot_every = every
        self.sealing = sealing
        if sealing is not None:
            self.mapper = sealing.mapper
        else:
            self.mapper = mapper if mapper is not None else new_mapper()
        self.shared = SharedAggregates(store.settings.shared_aggregates)
        if sealing is not None:
            sealing.watch(self.shared.forget_subject)
        self._reads: Batcher[list[UUID], dict[UUID, BaseAggregate[UUID]]] = Batcher(
            self._send_reads
        )

    async def save(
        self,
        *aggregates: BaseAggregate[UUID],
        metadata: Mapping[str, Any] | None = None,
        command: CommandRecord | None = None,
        reads: Mapping[UUID, int] | None = None,
    ) -> Appended | None:
        """Write every aggregate's pending events in one statement, or none of them.

        ConcurrencyError if any aggregate is stale, or any stream of ``reads`` (what the
        command decided on: stream -> version, 0 for none) has moved on; DuplicateCommandError
        if ``command``'s idempotency key was used before. None when there was nothing to write.
        """
        # Map everything (and take snapshots) before the first await but the keys', so an event
        # that cannot be serialised leaves every aggregate as it was, and a snapshot is the
        # state at exactly the last event written.
        if self.sealing is not None:
            await self.sealing.before_save([(a, self._snapshot_due(a)) for a in aggregates])
        prepared = [p for p in map(self._prepare, aggregates) if p is not None]
        if not prepared:
            return None
        events = [e for p in prepared for e in p.events]
        try:
            appended = await self.store.record(events, metadata, command=command, reads=reads)
        except ConcurrencyError as error:
            expected = {p.events[0].stream_id: p.events[0].version - 1 for p in prepared}
            raise ConcurrencyError(
                error.stream_id, expected.get(error.stream_id), error.actual_version
            ) from None
        for aggregate in aggregates:
            aggregate.collect_events()
            self.shared.forget(aggregate.id)  # a shared copy of it is now out of date
        for p in prepared:
            if p.snapshot is not None:
                await self._save_snapshot(p.snapshot)
        return appended

    async def get(self, aggregate_id: UUID, version: int | None = None) -> BaseAggregate[UUID]:
        """The aggregate at ``version`` (default latest), from the newest snapshot up to it."""
        snapshot, records = await self.store.snapshots.latest_and_after(aggregate_id, version)
        if self.sealing is not None:
            await self.sealing.before_load([*records, *([snapshot] if snapshot else [])])
        return self._build(aggregate_id, version, snapshot, records)

    async def read_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, BaseAggregate[UUID]]:
        """Latest versions to read, not to change: shared with other readers, and reused while
        no newer event exists. Concurrent callers share one round trip, which asks only for
        what is newer than the versions held.

        Those with no events are left out. Never change what this returns: load with ``get``.
        """
        return await self._reads.submit(list(aggregate_ids), len(aggregate_ids))

    async def read_held(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, BaseAggregate[UUID]]:
        """``read_many``, but an aggregate already held is returned as held, without asking
        whether it has moved on: for a command that names the versions it read when it writes
        (``save(reads=…)``), so a stale copy fails the write instead of costing a round trip."""
        held: dict[UUID, BaseAggregate[UUID]] = {}
        missing: list[UUID] = []
        for aggregate_id in aggregate_ids:
            found = self.shared.get(aggregate_id)
            if found is None:
                missing.append(aggregate_id)
            else:
                held[aggregate_id] = found
        if missing:
            held.update(await self.read_many(missing))
        return held

    async def decode(self, records: Sequence[PendingEvent]) -> list[Any]:
        """Stored events as domain events, in the given order, decoded as loads decode them.

        For readers of history (core/app/history.py: auditors); UnknownTopicError names an
        event no class of this process can decode.
        """
        if self.sealing is not None:
            await self.sealing.before_load(records)
        return [self._domain_event(r.stream_id, r.version, r.topic, r.data) for r in records]

    async def _send_reads(
        self, batch: list[Pending[list[UUID], dict[UUID, BaseAggregate[UUID]]]]
    ) -> None:
        known = {i: self.shared.version(i) for p in batch for i in p.item}
        newer = await self.store.snapshots.newer_than(known)
        # Held, but moved on with no newer snapshot: the shared copy is not updated in place.
        partial = [i for i, (snapshot, _) in newer.items() if known[i] and snapshot is None]
        if partial:
            newer.update(await self.store.snapshots.latest_and_after_many(partial))
        await self._before_load(newer.values())
        found: dict[UUID, BaseAggregate[UUID] | Exception] = {}
        for aggregate_id, (snapshot, records) in newer.items():
            try:
                found[aggregate_id] = self._build(aggregate_id, None, snapshot, records)
            except UnknownTopicError as error:  # fails the callers that asked for it, alone
                self.shared.forget(aggregate_id)
                found[aggregate_id] = error
            else:
                self.shared.put(found[aggregate_id])
        for pending in batch:
            mine: dict[UUID, BaseAggregate[UUID]] = {}
            for aggregate_id in pending.item:
                got = found.get(aggregate_id)
                if got is None:
                    got = self.shared.get(aggregate_id)
                if isinstance(got, Exception):
                    pending.done.set_exception(got)
                    break
                if got is not None:
                    mine[aggregate_id] = got
            else:
                pending.done.set_result(mine)

    def _build(
        self,
        aggregate_id: UUID,
        version: int | None,
        snapshot: PendingEvent | None,
        records: list[PendingEvent],
    ) -> BaseAggregate[UUID]:
        aggregate: Any = None
        if snapshot is not None:
            aggregate = self._mutate(
                self._domain_event(aggregate_id, snapshot.version, snapshot.topic, snapshot.data)
            )
        for record in records:
            event = self._domain_event(aggregate_id, record.version, record.topic, record.data)
            aggregate = self._mutate(event, aggregate)
        if aggregate is None:
            raise AggregateNotFoundError(aggregate_id, version)
        return aggregate

    async def _before_load(
        self, loaded: Iterable[tuple[PendingEvent | None, list[PendingEvent]]]
    ) -> None:
        if self.sealing is None:
            return
        records: list[PendingEvent] = []
        for snapshot, events in loaded:
            records.extend(events)
            if snapshot is not None:
                records.append(snapshot)
        await self.sealing.before_load(records)

    def _snapshot_due(self, aggregate: BaseAggregate[UUID]) -> bool:
        """Whether saving the aggregate's pending events crosses a snapshot boundary."""
        pending = aggregate.pending_events
        if not pending:
            return False
        before, after = pending[0].originator_version - 1, pending[-1].originator_version
        return after // self.snapshot_every > before // self.snapshot_every

    def _prepare(self, aggregate: BaseAggregate[UUID]) -> _Pending | None:
        if not aggregate.pending_events:
            return None
        stored = [self.mapper.to_stored_event(event) for event in aggregate.pending_events]
        assert isinstance(aggregate.id, UUID)
        snapshot = None
        if self._snapshot_due(aggregate):
            snapshot_class: type[Snapshot] = getattr(type(aggregate), "Snapshot", Snapshot)
            snapshot = self.mapper.to_stored_event(snapshot_class.take(aggregate))
        events = [
            PendingEvent(aggregate.id, s.originator_version, s.topic, s.state) for s in stored
        ]
        return _Pending(events, snapshot)

    async def _save_snapshot(self, snapshot: StoredEvent) -> None:
        assert isinstance(snapshot.originator_id, UUID)
        try:
            await self.store.snapshots.save(
                [
                    PendingEvent(
                        snapshot.originator_id,
                        snapshot.originator_version,
                        snapshot.topic,
                        snapshot.state,
                    )
                ]
            )
        except (InvalidEventError, ConcurrencyError) as error:
            # The events are written; a snapshot only saves reading them again.
            log.warning("snapshot of %s not kept: %s", snapshot.originator_id, error)

    def _domain_event(self, stream_id: UUID, version: int, topic: str, data: bytes) -> Any:
        try:
            return self.mapper.to_domain_event(StoredEvent(stream_id, version, topic, data))
        except TopicError as error:
            raise UnknownTopicError(topic, stream_id, version) from error

    @staticmethod
    def _mutate(event: Any, aggregate: Any = None) -> Any:
        try:
            return event.mutate(aggregate)
        except TopicError as error:
            # A created event or snapshot names an aggregate class that cannot be loaded.
            topic: str = (
                getattr(event, "originator_topic", None)
                or getattr(event, "topic", None)
                or get_topic(type(event))
            )
            raise UnknownTopicError(topic, event.originator_id, event.originator_version) from error


__all__ = ["AggregateNotFoundError", "AggregateRepository", "new_mapper"]
