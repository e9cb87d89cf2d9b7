"""eventsourcing persistence on khidma's store: ``PERSISTENCE_MODULE=khidma.core.events.bridge``.

The store is asynchronous and eventsourcing's recorders are not: one thread runs an event loop
that owns the store (store_thread.py), and each recorder method runs a coroutine there and
waits for it. Notification ids are ``event_log`` positions (contiguous, gap-free, in commit
order). A schema's log is one application sequence, so give each eventsourcing application a
schema of its own (``KHIDMA_DB_SCHEMA``, or ``<APP NAME>_KHIDMA_DB_SCHEMA`` in a system).
Originator ids are UUIDs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DataError,
    InfrastructureFactory,
    InfrastructureFactoryError,
    IntegrityError,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from ..config import Settings
from .records import PendingEvent, RecordedEvent
from .records import Tracking as StoreTracking
from .store_thread import StoreThread, translated

_T = TypeVar("_T")


def _topics(topics: Sequence[str]) -> list[str] | None:
    return list(topics) or None


def _stream_id(originator_id: UUID | str) -> UUID:
    if isinstance(originator_id, UUID):
        return originator_id
    raise DataError(
        f"khidma streams are identified by UUIDs, not {type(originator_id).__name__}"
        f" ({originator_id!r}): give the aggregate a UUID id"
    )


def _pending(stored_events: Sequence[StoredEvent]) -> list[PendingEvent]:
    seen: set[tuple[UUID, int]] = set()
    pending = []
    for e in stored_events:
        stream_id = _stream_id(e.originator_id)
        if (stream_id, e.originator_version) in seen:
            raise IntegrityError(f"stream {stream_id}: version {e.originator_version} given twice")
        seen.add((stream_id, e.originator_version))
        pending.append(PendingEvent(stream_id, e.originator_version, e.topic, e.state))
    return pending


def _notification(event: RecordedEvent) -> Notification:
    assert event.position is not None
    return Notification(
        originator_id=event.stream_id,
        originator_version=event.version,
        topic=event.topic,
        state=event.data,
        id=event.position,
    )


def _settings(env: Environment) -> Settings:
    """KHIDMA_* settings from the process, overridden by the application's env."""
    values = {k: v for k, v in os.environ.items() if k.startswith("KHIDMA_")}
    values.update((k, v) for k, v in env.items() if k.startswith("KHIDMA_"))
    if env.name:  # eventsourcing's per-application keys: <APP NAME>_KHIDMA_…
        prefix = f"{env.name.upper()}_"
        named = ((k[len(prefix) :], v) for k, v in env.items() if k.startswith(prefix))
        values.update((k, v) for k, v in named if k.startswith("KHIDMA_"))
    return Settings.from_env(values)


class _StoreRecorder:
    """What the recorders here share: the bridge, and who tracks (the application's name)."""

    def __init__(self, bridge: StoreThread, tracker: str = "") -> None:
        self.bridge = bridge
        self.tracker = tracker

    def _tracking(self, tracking: Tracking | None) -> StoreTracking | None:
        return None


class EventRecorder(_StoreRecorder, ApplicationRecorder):
    """Events in the store's ``events`` table; notification ids are log positions."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking = self._tracking(kwargs.get("tracking"))
        if not stored_events:
            if tracking is not None:
                self.bridge.call(self.bridge.store.track(tracking))
            return None
        return self.bridge.call(self._insert(_pending(stored_events), tracking))

    async def _insert(
        self, pending: list[PendingEvent], tracking: StoreTracking | None
    ) -> list[int]:
        appended = await self.bridge.store.record(pending, tracking=tracking)
        return await self.bridge.store.sequenced(appended)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        from_version = 0 if gt is None else gt + 1
        recorded = self.bridge.call(
            self.bridge.store.read_stream(_stream_id(originator_id), from_version, lte)
        )
        if desc:
            recorded.reverse()
        return [StoredEvent(r.stream_id, r.version, r.topic, r.data) for r in recorded[:limit]]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        after = 0 if start is None else max(0, start - 1 if inclusive_of_start else start)
        if stop is not None:
            limit = min(limit, stop - after)  # positions have no gaps
        if limit < 1:
            return []
        recorded = self.bridge.call(self.bridge.store.read_all(after, limit, _topics(topics)))
        notifications = [_notification(r) for r in recorded]
        return [n for n in notifications if stop is None or n.id <= stop]

    def max_notification_id(self) -> int | None:
        return self.bridge.call(self.bridge.store.head()) or None

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> StoreSubscription:
        return StoreSubscription(self, gt, topics)


class StoreSubscription(Subscription[EventRecorder]):
    """The store's subscription, one step per ``next()``; stoppable from any thread."""

    def __init__(
        self, recorder: EventRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        super().__init__(recorder, gt, topics)
        self._bridge = recorder.bridge
        self._events = recorder.bridge.store.subscribe(gt or 0, _topics(topics))
        self._lock = threading.Lock()
        self._task: asyncio.Task[Any] | None = None
        self._closed = False

    def __next__(self) -> Notification:
        with self._lock:
            if self._has_been_stopped:
                raise StopIteration
            step = self._bridge.submit(self._step())
        try:
            with translated():
                event = step.result()
        except (concurrent.futures.CancelledError, StopAsyncIteration):
            self.stop()
            raise StopIteration from None
        if self._has_been_stopped:
            raise StopIteration
        self._last_notification_id = event.position
        return _notification(event)

    async def _step(self) -> RecordedEvent:
        self._task = asyncio.current_task()
        return await anext(self._events)

    def stop(self) -> None:
        with self._lock:
            super().stop()
            if self._closed:
                return
            self._closed = True
        if not self._bridge.closed:  # else the loop's shutdown closed the subscription
            self._bridge.call(self._close())

    async def _close(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        await self._events.aclose()


class SnapshotRecorder(_StoreRecorder, AggregateRecorder):
    """Snapshots in the ``snapshots`` table; a version already taken is an IntegrityError."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        if stored_events:
            self.bridge.call(self._insert(_pending(stored_events)))

    async def _insert(self, pending: list[PendingEvent]) -> None:
        await self.bridge.store.snapshots.save(pending)

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        select = self.bridge.store.snapshots.select(
            _stream_id(originator_id), gt=gt, lte=lte, desc=desc, limit=limit
        )
        return [
            StoredEvent(s.stream_id, s.version, s.topic, s.data) for s in self.bridge.call(select)
        ]


class StoreTrackingRecorder(_StoreRecorder, TrackingRecorder):
    """Positions in other applications' logs (``tracking`` table), keyed by this app's name."""

    def insert_tracking(self, tracking: Tracking) -> None:
        self.bridge.call(self.bridge.store.track(self._to_store(tracking)))

    def max_tracking_id(self, application_name: str) -> int | None:
        return self.bridge.call(self.bridge.store.tracked(self.tracker, application_name))

    def _tracking(self, tracking: Tracking | None) -> StoreTracking | None:
        return None if tracking is None else self._to_store(tracking)

    def _to_store(self, tracking: Tracking) -> StoreTracking:
        return StoreTracking(self.tracker, tracking.application_name, tracking.notification_id)


class StoreProcessRecorder(StoreTrackingRecorder, EventRecorder, ProcessRecorder):
    """Events and the tracking position they were made from, in one transaction."""


class Factory(InfrastructureFactory[StoreTrackingRecorder]):
    """eventsourcing infrastructure on khidma's store; migrates the schema unless CREATE_TABLE=n."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        migrate = strtobool(self.env.get("CREATE_TABLE") or "yes")
        self._bridge = StoreThread(_settings(self.env), migrate)

    def _class(self, topic_key: str, default: type[_T]) -> type[_T]:
        topic = self.env.get(topic_key)
        cls = resolve_topic(topic) if topic else default
        if not (isinstance(cls, type) and issubclass(cls, default)):
            raise InfrastructureFactoryError(f"{topic_key}={topic!r} is not a {default.__name__}")
        return cls

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose == "snapshots":
            return SnapshotRecorder(self._bridge, self.env.name)
        if purpose == "events":
            return self.application_recorder()
        raise InfrastructureFactoryError(f"no {purpose!r} recorder: only events and snapshots")

    def application_recorder(self) -> EventRecorder:
        cls = self._class(self.APPLICATION_RECORDER_TOPIC, EventRecorder)
        return cls(self._bridge, self.env.name)

    def tracking_recorder(
        self, tracking_recorder_class: type[StoreTrackingRecorder] | None = None
    ) -> StoreTrackingRecorder:
        cls = tracking_recorder_class or self._class(
            self.TRACKING_RECORDER_TOPIC, StoreTrackingRecorder
        )
        return cls(self._bridge, self.env.name)

    def process_recorder(self) -> StoreProcessRecorder:
        cls = self._class(self.PROCESS_RECORDER_TOPIC, StoreProcessRecorder)
        return cls(self._bridge, self.env.name)

    def close(self) -> None:
        self._bridge.close()
        super().close()
