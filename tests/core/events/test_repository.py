"""AggregateRepository: eventsourcing aggregates saved to and loaded from the store."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event

from khidma.core.config import Settings
from khidma.core.events import (
    CommandRecord,
    ConcurrencyError,
    DuplicateCommandError,
    EventStore,
    NewEvent,
    PendingEvent,
    UnknownTopicError,
)
from khidma.core.events.repository import (
    AggregateNotFoundError,
    AggregateRepository,
    SharedAggregates,
)

pytestmark = pytest.mark.store


class Status(enum.Enum):
    OPEN = "open"
    PAID = "paid"


class Dossier(Aggregate):
    """A citizen's file at a service centre: enough field types to exercise the transcoder."""

    @event("Opened")
    def __init__(self, citizen: UUID, fee: Decimal, due: date) -> None:
        self.citizen = citizen
        self.fee = fee
        self.due = due
        self.status = Status.OPEN
        self.paid_at: datetime | None = None
        self.notes: list[str] = []

    @event("Noted")
    def note(self, text: str) -> None:
        self.notes.append(text)

    @event("Paid")
    def pay(self, amount: Decimal, at: datetime) -> None:
        self.fee -= amount
        self.paid_at = at
        self.status = Status.PAID


def new_dossier() -> Dossier:
    return Dossier(uuid4(), Decimal("25.00"), date(2025, 1, 31))


@pytest.fixture
def repo(store: EventStore) -> AggregateRepository:
    return AggregateRepository(store, snapshot_every=5)


def reads_from(store: EventStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the first event version read after the snapshot, for every aggregate load."""
    calls: list[int] = []
    load = store.snapshots.latest_and_after

    async def spy(stream_id: UUID, max_version: int | None = None) -> Any:
        snapshot, events = await load(stream_id, max_version)
        calls.append(events[0].version if events else (snapshot.version + 1 if snapshot else 1))
        return snapshot, events

    monkeypatch.setattr(store.snapshots, "latest_and_after", spy)
    return calls


async def test_save_then_get_round_trips_state(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    dossier.note("passport photo missing")
    dossier.pay(Decimal("10.50"), datetime(2025, 1, 2, 10, 30, tzinfo=UTC))
    appended = await repo.save(dossier, metadata={"actor_id": "clerk-7", "channel": "counter"})
    assert appended is not None
    assert dossier.pending_events == []

    loaded = await repo.get(dossier.id)
    assert isinstance(loaded, Dossier)
    assert loaded == dossier
    assert loaded.version == 3
    assert loaded.status is Status.PAID
    assert loaded.fee == Decimal("14.50")
    assert isinstance(loaded.citizen, UUID)
    assert loaded.created_on == dossier.created_on
    assert loaded.created_on.tzinfo is not None

    records = await repo.store.read_stream(dossier.id)
    assert [r.topic.rsplit(".", 1)[-1] for r in records] == ["Opened", "Noted", "Paid"]
    assert records[0].metadata == {"actor_id": "clerk-7", "channel": "counter"}


async def test_save_appends_only_new_events(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    assert await repo.save(dossier) is None  # nothing pending, nothing written
    loaded = await repo.get(dossier.id)
    assert isinstance(loaded, Dossier)
    loaded.note("second visit")
    await repo.save(loaded)
    assert [r.version for r in await repo.store.read_stream(dossier.id)] == [1, 2]
    assert await repo.get(dossier.id) == loaded


async def test_two_copies_saved_raise_concurrency_error(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    first, second = await repo.get(dossier.id), await repo.get(dossier.id)
    assert isinstance(first, Dossier)
    assert isinstance(second, Dossier)
    first.note("from the counter")
    second.note("from the web")
    await repo.save(first)
    with pytest.raises(ConcurrencyError) as caught:
        await repo.save(second)
    assert caught.value.stream_id == dossier.id
    assert (caught.value.expected_version, caught.value.actual_version) == (1, 2)
    loaded = await repo.get(dossier.id)
    assert isinstance(loaded, Dossier)
    assert loaded.notes == ["from the counter"]


async def test_saving_several_aggregates(repo: AggregateRepository) -> None:
    a, b = new_dossier(), new_dossier()
    b.note("urgent")
    appended = await repo.save(a, b, metadata={"correlation_id": "c-1"})
    assert appended is not None
    assert appended.last_versions == {a.id: 1, b.id: 2}
    assert await repo.get(a.id) == a
    assert await repo.get(b.id) == b


async def test_snapshots_every_n_and_used_when_loading(
    repo: AggregateRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    history = {1: copy.deepcopy(dossier)}
    for i in range(2, 13):
        dossier.note(f"note {i}")
        await repo.save(dossier)
        history[i] = copy.deepcopy(dossier)

    store = repo.store
    snapshot_versions = await store.pool.fetch(
        "SELECT version FROM snapshots WHERE stream_id = $1 ORDER BY version", dossier.id
    )
    assert [r["version"] for r in snapshot_versions] == [5, 10]

    reads = reads_from(store, monkeypatch)
    assert await repo.get(dossier.id) == history[12]
    assert reads == [11]  # the snapshot at 10, then only events 11 and 12

    for version in (1, 4, 5, 7, 10, 12):
        reads.clear()
        assert await repo.get(dossier.id, version=version) == history[version]
        assert reads == [1 if version < 5 else 6 if version < 10 else 11]


async def test_a_save_crossing_a_multiple_snapshots_its_last_version(
    repo: AggregateRepository,
) -> None:
    dossier = new_dossier()
    dossier.note("one")
    dossier.note("two")
    await repo.save(dossier)  # versions 1-3: no multiple of 5 crossed
    assert await repo.store.snapshots.latest(dossier.id) is None
    for i in range(4):
        dossier.note(f"more {i}")
    await repo.save(dossier)  # versions 4-7 cross 5
    snapshot = await repo.store.snapshots.latest(dossier.id)
    assert snapshot is not None
    assert snapshot.version == 7
    assert snapshot.topic == "eventsourcing.domain:Snapshot"
    assert await repo.get(dossier.id) == dossier


async def test_snapshot_every_defaults_to_settings(store: EventStore, settings: Settings) -> None:
    assert AggregateRepository(store).snapshot_every == settings.snapshot_every
    with pytest.raises(ValueError, match="at least 1"):
        AggregateRepository(store, snapshot_every=0)


async def test_missing_aggregate(repo: AggregateRepository) -> None:
    missing = uuid4()
    with pytest.raises(AggregateNotFoundError, match=str(missing)) as caught:
        await repo.get(missing)
    assert caught.value.aggregate_id == missing
    dossier = new_dossier()
    await repo.save(dossier)
    with pytest.raises(AggregateNotFoundError, match="at or below version 0"):
        await repo.get(dossier.id, version=0)


async def test_unknown_event_topic(repo: AggregateRepository) -> None:
    stream = uuid4()
    await repo.store.append(stream, [NewEvent("nowhere.module:Gone", b"{}")], 0)
    with pytest.raises(UnknownTopicError) as caught:
        await repo.get(stream)
    assert (caught.value.topic, caught.value.stream_id, caught.value.version) == (
        "nowhere.module:Gone",
        stream,
        1,
    )
    assert "nowhere.module:Gone" in str(caught.value)


async def test_unknown_topic_after_known_events(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    topic = f"{__name__}:Dossier.Vanished"
    await repo.store.append(dossier.id, [NewEvent(topic, b"{}")], 1)
    with pytest.raises(UnknownTopicError) as caught:
        await repo.get(dossier.id)
    assert (caught.value.topic, caught.value.version) == (topic, 2)
    assert await repo.get(dossier.id, version=1) == dossier


async def test_unknown_aggregate_class_in_a_snapshot(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    state = {"timestamp": datetime.now(UTC), "topic": "nowhere.module:Gone", "state": {}}
    await repo.store.snapshots.save(
        [
            PendingEvent(
                dossier.id,
                1,
                "eventsourcing.domain:Snapshot",
                repo.mapper.transcoder.encode(state),
            )
        ]
    )
    with pytest.raises(UnknownTopicError) as caught:
        await repo.get(dossier.id)
    assert (caught.value.topic, caught.value.version) == ("nowhere.module:Gone", 1)


async def test_several_aggregates_are_saved_all_or_none(repo: AggregateRepository) -> None:
    stale = new_dossier()
    await repo.save(stale)
    fresh_copy = await repo.get(stale.id)
    fresh_copy.note("first")
    await repo.save(fresh_copy)
    stale.note("too late")
    other = new_dossier()
    with pytest.raises(ConcurrencyError):
        await repo.save(other, stale)
    with pytest.raises(AggregateNotFoundError):
        await repo.get(other.id)  # nothing of the failed save was written
    assert other.pending_events  # and the aggregates keep what they had to write


async def test_a_command_is_recorded_once_with_its_events(repo: AggregateRepository) -> None:
    command = CommandRecord("key-1", "open dossier", "clerk-7", {"dossier": "d-1"})
    dossier = new_dossier()
    await repo.save(dossier, command=command)
    assert await repo.store.command_result("key-1") == command
    again = new_dossier()
    with pytest.raises(DuplicateCommandError):
        await repo.save(again, command=command)
    with pytest.raises(AggregateNotFoundError):
        await repo.get(again.id)
    assert await repo.store.command_result("other-key") is None


async def test_several_aggregates_load_in_one_round_trip(repo: AggregateRepository) -> None:
    a, b = new_dossier(), new_dossier()
    for i in range(7):  # past a snapshot (every 5) for one of them
        b.note(f"note {i}")
    await repo.save(a, b)
    missing = uuid4()
    loaded = await repo.read_many([a.id, b.id, missing])
    assert loaded == {a.id: await repo.get(a.id), b.id: await repo.get(b.id)}
    assert all(type(i) is UUID for i in loaded)


# -- aggregates shared for reading ---------------------------------------------------------


async def test_read_many_reuses_an_unchanged_aggregate(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    first = await repo.read_many([dossier.id])
    again = await repo.read_many([dossier.id])
    assert again[dossier.id] is first[dossier.id]
    assert first[dossier.id] == dossier


async def test_read_many_gives_a_new_copy_once_events_were_added(
    repo: AggregateRepository,
) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    held = (await repo.read_many([dossier.id]))[dossier.id]
    changed = await repo.get(dossier.id)
    assert isinstance(changed, Dossier)
    changed.note("the stamp is on the second page")
    await repo.save(changed)
    fresh = (await repo.read_many([dossier.id]))[dossier.id]
    assert fresh is not held
    assert held.version == 1  # readers of the old copy never see it move under them
    assert isinstance(fresh, Dossier) and fresh.notes == ["the stamp is on the second page"]
    assert fresh.version == 2


async def test_read_many_catches_up_past_a_newer_snapshot(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    await repo.read_many([dossier.id])
    for i in range(7):  # snapshot_every=5: a snapshot at version 5
        dossier.note(f"visit {i}")
        await repo.save(dossier)
    fresh = (await repo.read_many([dossier.id]))[dossier.id]
    assert isinstance(fresh, Dossier)
    assert fresh.version == 8 and fresh.notes == [f"visit {i}" for i in range(7)]


async def test_read_many_leaves_out_what_does_not_exist(repo: AggregateRepository) -> None:
    dossier = new_dossier()
    await repo.save(dossier)
    assert set(await repo.read_many([dossier.id, uuid4()])) == {dossier.id}


async def test_concurrent_reads_share_round_trips(
    repo: AggregateRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossiers = [new_dossier() for _ in range(4)]
    await repo.save(*dossiers)
    queries: list[int] = []
    load = repo.store.snapshots.newer_than

    async def spy(known: Any, max_version: int | None = None) -> Any:
        queries.append(len(known))
        return await load(known, max_version)

    monkeypatch.setattr(repo.store.snapshots, "newer_than", spy)
    ids = [d.id for d in dossiers]
    results = await asyncio.gather(*(repo.read_many(ids[i % 4 :]) for i in range(20)))
    assert len(queries) < 20
    for i, found in enumerate(results):
        assert list(found) == ids[i % 4 :]
        assert all(found[d.id] == d for d in dossiers if d.id in found)


async def test_no_aggregates_are_shared_when_the_setting_is_zero(
    store: EventStore, settings: Settings
) -> None:
    store.settings = dataclasses.replace(settings, shared_aggregates=0)
    repo = AggregateRepository(store)
    dossier = new_dossier()
    await repo.save(dossier)
    first = await repo.read_many([dossier.id])
    assert (await repo.read_many([dossier.id]))[dossier.id] is not first[dossier.id]
    assert len(repo.shared) == 0


def test_shared_aggregates_drop_the_least_recently_used() -> None:
    shared = SharedAggregates(capacity=2)
    a, b, c = new_dossier(), new_dossier(), new_dossier()
    shared.put(a)
    shared.put(b)
    assert shared.get(a.id) is a  # a is now the most recently used
    shared.put(c)
    assert shared.get(b.id) is None
    assert shared.get(a.id) is a and shared.get(c.id) is c
    assert shared.version(a.id) == 1 and shared.version(b.id) == 0
