"""What khidma's workers read: the log from a tracked position, and aggregates by id.

Workers (the dispatcher in ``khidma.plugins.dispatch``) reach the store only through this and
the command handlers. An outbox worker follows the log from the last position it finished,
does its step for each event, and marks the position done; after a crash it resumes there.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from khidma.core.domain.catalog import Catalog, Service
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import request_id
from khidma.core.events import AggregateNotFoundError, EventStore, Tracking, TrackingError

from .lookups import CATALOG
from .runner import CommandRunner

UPSTREAM = "log"


@dataclass(frozen=True, slots=True)
class Entry:
    """One logged event: its position, stream and name (``PaymentRecorded``, ``Rejected``…)."""

    position: int
    stream_id: UUID
    name: str
    aggregate: str

    @classmethod
    def parse(cls, position: int, stream_id: UUID, topic: str) -> Entry:
        # Topics look like ``khidma.core.domain.request:ServiceRequest.PaymentRecorded``.
        qualified = topic.rpartition(":")[2]
        aggregate, _, name = qualified.rpartition(".")
        return cls(position, stream_id, name, aggregate)


class Outbox:
    """The log and the aggregates, read-only, for workers that act on what happened."""

    def __init__(self, runner: CommandRunner) -> None:
        self._store: EventStore = runner.store
        self._repository = runner.repository

    async def position(self, worker: str) -> int:
        """The last position ``worker`` finished (0 if none)."""
        return await self._store.tracked(worker, UPSTREAM) or 0

    async def done(self, worker: str, position: int) -> None:
        """Mark ``position`` finished for ``worker``; a position already passed is ignored."""
        with contextlib.suppress(TrackingError):
            await self._store.track(Tracking(worker, UPSTREAM, position))

    async def follow(
        self, after: int, names: Collection[str] | None = None
    ) -> AsyncIterator[Entry]:
        """Every event after ``after`` (only those ``names`` if given), then new ones, forever."""
        async for recorded in self._store.subscribe(after):
            assert recorded.position is not None
            entry = Entry.parse(recorded.position, recorded.stream_id, recorded.topic)
            if names is None or entry.name in names:
                yield entry

    async def read(
        self, after: int = 0, names: Collection[str] | None = None, limit: int = 1000
    ) -> tuple[list[Entry], int]:
        """Events after ``after`` up to ``limit`` (filtered by ``names``), and the last position."""
        records = await self._store.read_all(after, limit)
        last = records[-1].position if records else after
        entries = [Entry.parse(r.position or 0, r.stream_id, r.topic) for r in records]
        return [e for e in entries if names is None or e.name in names], last or after

    async def get(self, aggregate_id: UUID) -> BaseAggregate[UUID] | None:
        try:
            return await self._repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    async def request(self, tracking_number: str) -> ServiceRequest | None:
        found = await self.get(request_id(tracking_number))
        return found if isinstance(found, ServiceRequest) else None

    async def request_by_id(self, aggregate_id: UUID) -> ServiceRequest | None:
        found = await self.get(aggregate_id)
        return found if isinstance(found, ServiceRequest) else None

    async def dispatch(self, tracking_number: str) -> Dispatch | None:
        found = await self.get(Dispatch.id_for(tracking_number))
        return found if isinstance(found, Dispatch) else None

    async def citizen(self, citizen_id: UUID) -> Citizen | None:
        found = await self.get(citizen_id)
        return found if isinstance(found, Citizen) else None

    async def service(self, code: str) -> Service | None:
        found = await self.get(Catalog.id_for(CATALOG))
        if not isinstance(found, Catalog):
            return None
        return found.services.get(code)
