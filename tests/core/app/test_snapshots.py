"""Every aggregate the demo builds can be snapshotted, and its snapshot rebuilds it exactly."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import load_demo
from khidma.core.config import Settings
from khidma.core.events import EventStore, PendingEvent

from .conftest import FixedClock

pytestmark = pytest.mark.store


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, snapshot_every=1)  # a snapshot after every command


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


async def test_each_aggregate_from_its_snapshot_equals_it_replayed_from_its_events(
    store: EventStore, clock: FixedClock
) -> None:
    khidma = Khidma(store, clock)
    await load_demo(khidma)  # catalog, calendar, centres, staff, citizens, queues, requests
    repository = khidma.runner.repository
    rows = await store.pool.fetch(
        "SELECT DISTINCT ON (stream_id) stream_id, version FROM snapshots"
        " ORDER BY stream_id, version DESC"
    )
    kinds: set[str] = set()
    for stream_id, version in rows:
        from_snapshot = await repository.get(stream_id)
        events = await store.read_stream(stream_id)
        assert from_snapshot.version == events[-1].version >= version
        replayed: Any = None  # from the events alone, no snapshot
        stored = [PendingEvent(stream_id, e.version, e.topic, e.data) for e in events]
        for event in await repository.decode(stored):
            replayed = event.mutate(replayed)
        assert state(from_snapshot) == state(replayed), type(replayed).__name__
        kinds.add(type(replayed).__name__)
    assert kinds == {
        "Catalog", "WorkingCalendar", "Centre", "Staff", "Citizen", "Queue", "ServiceRequest"
    }  # fmt: skip
