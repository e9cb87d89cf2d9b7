"""What auditors read (core/app/history.py): the log with filters, a request's events, and a
request rebuilt as of every past position and time, against states captured as they happened."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from khidma.core.app import Khidma, NotFound
from khidma.core.app.history import History, LoggedEvent
from khidma.core.app.log_filter import LogFilter
from khidma.core.config import Settings
from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.tracking import format_tracking_number, request_id
from khidma.core.events import EventStore, RecordedEvent

from ..events.helpers import all_logged
from .conftest import START, FixedClock, admin
from .request_world import CITIZEN_NN, CIVIL, HOMS, World, seed

pytestmark = pytest.mark.store

SNAPSHOT_EVERY = 8  # the journey below leaves snapshots, which must not be used


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, snapshot_every=SNAPSHOT_EVERY)


@pytest.fixture
async def world(khidma: Khidma) -> World:
    return await seed(khidma)


def state(aggregate: Any) -> dict[str, Any]:
    """Everything a request holds, its version included."""
    held = {k: v for k, v in vars(aggregate).items() if not k.startswith("_")}
    return copy.deepcopy({**held, "version": aggregate.version, "id": aggregate.id})


@dataclasses.dataclass
class Journey:
    number: str
    other: str
    states: dict[int, dict[str, Any]]  # version -> the state loaded right after that command


async def journey(world: World, clock: FixedClock) -> Journey:
    """A request filed, paid, asked for information, answered, issued, certified, ready and
    collected, with another request's events in between; its state captured after each step."""
    clerk, registry = world.staff["homs_civil"], world.agency(CIVIL)
    filed = await world.file()
    number = filed["tracking_number"]
    other = (await world.file())["tracking_number"]
    states: dict[int, dict[str, Any]] = {}

    async def capture() -> None:
        loaded = await world.load(number)
        states[loaded.version] = state(loaded)

    await capture()
    steps: list[Callable[[], Any]] = [
        lambda: world.pay(number, filed["fee_total"]),
        lambda: world.khidma.dispatch.park(
            world.system, world.key(), number, step="notify", error="SMS gateway down", attempts=5
        ),
        lambda: world.requests.forward(clerk, world.key(), number),
        lambda: world.requests.record_agency_answer(
            registry, world.key(), number, accepted_reference="CR-REF-1"
        ),
        lambda: world.requests.ask_for_information(
            registry, world.key(), number, what="mother's name"
        ),
        lambda: world.requests.provide_information(
            world.citizen, world.key(), number, answer={"remarks": "مريم"}
        ),
        lambda: world.requests.add_note(clerk, world.key(), number, text="called the citizen"),
        lambda: world.requests.record_agency_answer(
            registry, world.key(), number, document_reference="BS-2026-7"
        ),
        lambda: world.requests.certify(clerk, world.key(), number),
        lambda: world.requests.mark_ready(clerk, world.key(), number),
        lambda: world.requests.hand_over(
            clerk, world.key(), number, recipient="self", recipient_national_number="01020304050"
        ),
    ]
    for i, step in enumerate(steps):
        clock.advance(hours=1)
        await step()
        await capture()
        if i % 3 == 0:  # the other request moves too, so positions interleave
            await world.requests.add_note(clerk, world.key(), other, text=f"note {i}")
    await world.requests.add_note(clerk, world.key(), other, text="later")  # the log goes on
    await all_logged(world.store)
    return Journey(number, other, states)


async def logged(store: EventStore, number: str) -> list[RecordedEvent]:
    return await store.read_stream(request_id(number))


async def test_request_as_of_every_past_position_is_the_state_then(
    world: World, clock: FixedClock
) -> None:
    trip = await journey(world, clock)
    history = History.of(world.khidma.runner)
    records = await logged(world.store, trip.number)
    assert len(records) == 12 and sorted(trip.states) == list(range(2, 13))
    # Filing writes two events (Submitted, FeeAssessed): the state between them is the
    # aggregate replayed to version 1 (no snapshot lies at or below it).
    first_state = await world.khidma.runner.repository.get(request_id(trip.number), 1)
    expected = {1: state(first_state), **trip.states}
    snapshots = await world.store.snapshots.select(request_id(trip.number))
    assert snapshots, "the journey was meant to leave snapshots"

    positions = {r.position: r.version for r in records}
    first, head = records[0].position, await world.store.head()
    assert first is not None and head > max(p for p in positions if p is not None)
    version = 0
    for position in range(first, head + 1):
        version = positions.get(position, version)
        rebuilt = await history.request_as_of(trip.number, position=position)
        assert state(rebuilt.request) == expected[version], position
        assert (rebuilt.last.version, rebuilt.events) == (version, version)
        assert rebuilt.last.position <= position


async def test_request_as_of_every_past_time_is_the_state_then(
    world: World, clock: FixedClock
) -> None:
    trip = await journey(world, clock)
    history = History.of(world.khidma.runner)
    for record in (await logged(world.store, trip.number))[1:]:
        at = record.recorded_at
        rebuilt = await history.request_as_of(trip.number, at=at)
        assert state(rebuilt.request) == trip.states[record.version]
        if record.version > 2:
            before = await history.request_as_of(trip.number, at=at - timedelta(microseconds=1))
            assert state(before.request) == trip.states[record.version - 1]


async def test_snapshots_are_not_trusted(world: World, clock: FixedClock) -> None:
    trip = await journey(world, clock)
    stream = request_id(trip.number)
    # Snapshots are not chained: replace one with the other request's, as an intruder could.
    other = await world.khidma.runner.repository.get(request_id(trip.other))
    snapshot = world.khidma.runner.repository.mapper.to_stored_event(
        type(other).Snapshot.take(other)
    )
    await world.store.pool.execute(
        "UPDATE snapshots SET data = $2, topic = $3 WHERE stream_id = $1",
        stream,
        snapshot.state,
        snapshot.topic,
    )
    fooled = await world.khidma.runner.repository.get(stream)
    assert fooled.tracking_number == trip.other, "loading through snapshots is fooled"

    rebuilt = await History.of(world.khidma.runner).request_as_of(
        trip.number, position=await world.store.head()
    )
    assert state(rebuilt.request) == trip.states[max(trip.states)]


async def test_request_events_say_who_did_what_where_and_when(
    world: World, clock: FixedClock
) -> None:
    trip = await journey(world, clock)
    events = await History.of(world.khidma.runner).request_events(trip.number.lower())
    records = await logged(world.store, trip.number)
    dispatch = await world.store.read_stream(Dispatch.id_for(trip.number))
    assert [e.name for e in dispatch_events(events)] == ["Opened", "DispatchFailed"]
    both = sorted([*records, *dispatch], key=lambda r: r.position or 0)
    assert [e.event_id for e in events] == [r.event_id for r in both], "both, in log order"
    parked = dispatch_events(events)[1]
    assert parked.data is not None and parked.data["error"] == "SMS gateway down"
    events = [e for e in events if e.stream_id == request_id(trip.number)]
    assert [e.name for e in events][:3] == ["Submitted", "FeeAssessed", "PaymentRecorded"]
    assert [e.metadata["actor_role"] for e in events][:4] == [
        "citizen",
        "citizen",
        "system",
        "clerk",
    ]
    submitted = events[0].data
    assert submitted is not None
    assert submitted["tracking_number"] == trip.number
    assert submitted["form"]["copies"] == 1
    assert submitted["channel"] == "portal"
    assert events[1].data is not None and events[1].data["total"] == 2000
    assert all(len(e.content_hash) == 32 and len(e.chain_hash) == 32 for e in events)


def dispatch_events(events: list[LoggedEvent]) -> list[LoggedEvent]:
    return [e for e in events if e.topic.startswith("khidma.core.domain.dispatch:")]


async def test_unknown_and_malformed_requests(world: World) -> None:
    history = History.of(world.khidma.runner)
    nowhere = format_tracking_number("HMS", 2026, 9_999_999)
    with pytest.raises(NotFound):
        await history.request_events(nowhere)
    with pytest.raises(NotFound):
        await history.request_as_of(nowhere, position=1)
    with pytest.raises(ValidationError) as error:
        await history.request_events("HMS-2026-12")
    assert error.value.field == "tracking_number"


async def test_bad_bounds_name_the_field(world: World, clock: FixedClock) -> None:
    trip = await journey(world, clock)
    history = History.of(world.khidma.runner)
    records = await logged(world.store, trip.number)
    head = await world.store.head()
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "position"),
        ({"position": 3, "at": records[0].recorded_at}, "position"),
        ({"position": 0}, "position"),
        ({"position": head + 1}, "position"),
        ({"position": records[0].position - 1}, "position"),  # before it was submitted
        ({"at": records[0].recorded_at - timedelta(seconds=1)}, "at"),
        ({"at": records[0].recorded_at.replace(tzinfo=None)}, "at"),
    ]
    for bounds, field in cases:
        with pytest.raises(ValidationError) as error:
            await history.request_as_of(trip.number, **bounds)
        assert error.value.field == field, bounds


# -- the log -------------------------------------------------------------------------------


async def every_page(history: History, where: LogFilter | None, size: int) -> list[LoggedEvent]:
    """The whole filtered log, page by page; fails on a gap or a double."""
    found: list[LoggedEvent] = []
    after, more = 0, True
    while more:
        page, more = await history.log(where, after, size)
        assert len(page) <= size
        assert not more or len(page) == size
        found.extend(page)
        after = page[-1].position if page else after
        assert more or not page or after == found[-1].position
    positions = [e.position for e in found]
    assert positions == sorted(set(positions)), "in order, no doubles"
    return found


async def test_each_filter_returns_exactly_the_events_it_names(
    world: World, clock: FixedClock
) -> None:
    trip = await journey(world, clock)
    everything = await world.store.read_all(0, 10_000)
    clerk = world.staff["homs_civil"]
    middle = everything[len(everything) // 2].recorded_at
    late = everything[-5].recorded_at

    def name(r: RecordedEvent) -> str:
        return r.topic.rpartition(".")[2]

    submitted_topic = next(r.topic for r in everything if name(r) == "Submitted")
    cases: list[tuple[dict[str, Any], Callable[[RecordedEvent], bool]]] = [
        ({}, lambda r: True),
        ({"stream_id": request_id(trip.number)}, lambda r: r.stream_id == request_id(trip.number)),
        ({"tracking_number": trip.other}, lambda r: r.stream_id == request_id(trip.other)),
        ({"topic": "NoteAdded"}, lambda r: name(r) == "NoteAdded"),
        ({"topic": "Registered"}, lambda r: name(r) == "Registered"),
        ({"topic": "Citizen.Registered"}, lambda r: r.topic.endswith(":Citizen.Registered")),
        ({"topic": submitted_topic}, lambda r: r.topic == submitted_topic),
        ({"actor_id": str(clerk.id)}, lambda r: r.metadata.get("actor_id") == str(clerk.id)),
        ({"centre": "hms-01"}, lambda r: r.metadata.get("centre") == HOMS),
        ({"recorded_from": middle}, lambda r: r.recorded_at >= middle),
        (
            {"recorded_from": middle, "recorded_to": late},
            lambda r: middle <= r.recorded_at < late,
        ),
        (
            {"actor_id": clerk.id, "topic": "NoteAdded", "tracking_number": trip.other},
            lambda r: name(r) == "NoteAdded" and r.stream_id == request_id(trip.other),
        ),
    ]
    # A window of 4 positions makes pages both walk the log and ask the indexes.
    for window in (4, 4096):
        history = History(world.store, world.khidma.runner.repository, window=window)
        for given, keep in cases:
            expected = [r.position for r in everything if keep(r)]
            assert expected or given == {}, given
            for size in (1, 3, 50):
                found = await every_page(history, LogFilter.build(**given), size)
                assert [e.position for e in found] == expected, (window, size, given)


async def test_log_events_carry_metadata_data_and_hashes(world: World, clock: FixedClock) -> None:
    trip = await journey(world, clock)
    history = History.of(world.khidma.runner)
    page, _ = await history.log(LogFilter.build(tracking_number=trip.number), 0, 5)
    chain = await world.store.pool.fetch(
        "SELECT position, chain_hash FROM event_log WHERE position = ANY($1::bigint[])",
        [e.position for e in page],
    )
    assert {r["position"]: bytes(r["chain_hash"]) for r in chain} == {
        e.position: e.chain_hash for e in page
    }
    paid = page[2]
    assert paid.name == "PaymentRecorded"
    assert paid.metadata["actor_role"] == "system"
    assert paid.data is not None and paid.data["amount"] == 2000


async def test_bad_filters_name_the_field(world: World) -> None:
    history = History.of(world.khidma.runner)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"stream_id": "not-a-uuid"}, "filter.stream_id"),
        ({"actor_id": "12"}, "filter.actor_id"),
        ({"tracking_number": "HMS-1"}, "filter.tracking_number"),
        ({"topic": "Fee Assessed; DROP"}, "filter.topic"),
        ({"topic": "x" * 500}, "filter.topic"),
        ({"centre": ""}, "filter.centre"),
        (
            {
                "stream_id": request_id(format_tracking_number("HMS", 2026, 5)),
                "tracking_number": format_tracking_number("HMS", 2026, 6),
            },
            "filter.tracking_number",
        ),
        (
            {"recorded_from": START + timedelta(hours=1), "recorded_to": START},
            "filter.recorded_to",
        ),
    ]
    for given, field in cases:
        with pytest.raises(ValidationError) as error:
            LogFilter.build(**given, prefix="filter.")
        assert error.value.field == field, given
    for after, limit, field in ((-1, 10, "after"), (0, 0, "first"), (0, 201, "first")):
        with pytest.raises(ValidationError) as error:
            await history.log(None, after, limit)
        assert error.value.field == field


async def test_a_forgotten_citizens_data_reads_as_absent_and_the_rest_stays(
    world: World, clock: FixedClock
) -> None:
    trip = await journey(world, clock)
    history = History.of(world.khidma.runner)
    before = await history.request_events(trip.number)
    assert before[0].data is not None and before[0].data["form"]["copies"] == 1

    await world.khidma.admin.forget_citizen(
        admin(), world.key(), national_number=CITIZEN_NN, reason="the citizen asked (test)"
    )
    await all_logged(world.store)

    after = await history.request_events(trip.number)
    assert [(e.position, e.content_hash, e.chain_hash) for e in after] == [
        (e.position, e.content_hash, e.chain_hash) for e in before
    ], "the log is untouched"
    assert after[0].data is not None and not after[0].data["form"], "the form is gone"
    rebuilt = await history.request_as_of(trip.number, position=after[-1].position)
    assert rebuilt.request.status.value == "collected"
    assert not rebuilt.request.form
    assert rebuilt.request.collected_by is not None
    assert rebuilt.request.collected_by["national_number"] is None
    page, _ = await history.log(LogFilter.build(tracking_number=trip.number), 0, 50)
    assert CITIZEN_NN not in repr([e.data for e in page])
