"""Idempotent retries and concurrent commands on one request: one consistent history."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from khidma.core.app import Actor, Khidma
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import request_id
from khidma.core.events import ConcurrencyError, EventStore, PendingEvent
from khidma.core.privacy import sealing_of

from .request_world import CIVIL, HOMS, World, seed

pytestmark = pytest.mark.store


@pytest.fixture
async def world(khidma: Khidma) -> World:
    return await seed(khidma)


def together(store: EventStore, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Hold the first ``n`` aggregate loads until all have been made.

    So ``n`` commands sent at once with one key all see the same state before any writes, as
    they do when a client on a flaky link sends its retry before the first attempt's answer.
    """
    barrier = asyncio.Barrier(n)
    load = store.snapshots.latest_and_after
    calls = 0

    async def held(stream_id: UUID, max_version: int | None = None) -> Any:
        nonlocal calls
        calls += 1
        found = await load(stream_id, max_version)
        if calls <= n:
            await barrier.wait()
        return found

    monkeypatch.setattr(store.snapshots, "latest_and_after", held)


async def replayed(store: EventStore, stream_id: UUID) -> Any:
    """The aggregate rebuilt from every one of its events, no snapshot."""
    mapper = sealing_of(store)  # personal data is sealed: the keys are fetched first
    records = await store.read_stream(stream_id)
    await mapper.before_load([PendingEvent(stream_id, r.version, r.topic, r.data) for r in records])
    aggregate = None
    for record in records:
        stored = StoredEvent(stream_id, record.version, record.topic, record.data)
        aggregate = mapper.to_domain_event(stored).mutate(aggregate)
    return aggregate


def clerk_at_homs() -> Actor:
    return Actor(uuid.uuid4(), Role.CLERK, centre=HOMS, agency=CIVIL)


# -- the same key again --------------------------------------------------------------------------


async def test_the_same_key_twice_returns_the_first_result_and_writes_nothing(world: World) -> None:
    number = (await world.file())["tracking_number"]
    clerk, key = world.staff["homs_civil"], world.key()
    first = await world.requests.add_note(clerk, key, number, text="الأولى")
    written = await world.written()

    again = await world.requests.add_note(clerk, key, number, text="الأولى")
    other_text = await world.requests.add_note(clerk, key, number, text="الثانية")

    assert again == first and other_text == first
    assert await world.written() == written
    assert [n["text"] for n in (await world.load(number)).notes] == ["الأولى"]


async def test_a_retry_after_the_request_moved_on_still_returns_the_first_result(
    world: World,
) -> None:
    filed = await world.file()
    number, key = filed["tracking_number"], world.key()

    def pay() -> Awaitable[dict[str, Any]]:
        return world.requests.record_payment(
            world.system, key, number, payment_ref="SEP-1", provider="SEP", amount=2000
        )

    first = await pay()
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    written = await world.written()

    assert await pay() == first == {**first, "status": "paid"}
    assert await world.written() == written
    assert (await world.load(number)).status is Status.SENT_TO_AGENCY


async def test_a_refused_command_leaves_its_key_free(world: World) -> None:
    number = (await world.file())["tracking_number"]
    clerk, key = world.staff["homs_civil"], world.key()

    with pytest.raises(ValidationError):
        await world.requests.add_note(clerk, key, number, text="ن" * 2001)
    result = await world.requests.add_note(clerk, key, number, text="قصيرة")

    assert result["status"] == "awaiting_payment"


async def test_the_same_key_for_another_command_or_actor_is_refused(world: World) -> None:
    number = (await world.file())["tracking_number"]
    clerk, key = world.staff["homs_civil"], world.key()
    await world.requests.add_note(clerk, key, number, text="x")
    written = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.add_note(world.staff["homs_civil_bare"], key, number, text="x")
    with pytest.raises(NotAllowed):
        await world.requests.cancel(world.citizen, key, number, reason="x")
    with pytest.raises(NotAllowed):
        await world.requests.record_payment(
            world.system, key, number, payment_ref="P", provider="SEP", amount=2000
        )
    assert await world.written() == written


async def test_a_concurrent_duplicate_writes_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = (await world.file())["tracking_number"]
    clerk, key = world.staff["homs_civil"], world.key()
    events, commands = await world.written()
    together(world.store, monkeypatch, 5)

    results = await asyncio.gather(
        *(world.requests.add_note(clerk, key, number, text="مرة") for _ in range(5))
    )

    assert all(r == results[0] for r in results)
    assert await world.written() == (events + 1, commands + 1)
    assert [n["text"] for n in (await world.load(number)).notes] == ["مرة"]


async def test_a_concurrent_duplicate_of_a_transition_returns_the_first_result(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = (await world.issued())["tracking_number"]
    clerk, key = world.staff["homs_civil"], world.key()
    together(world.store, monkeypatch, 2)

    results = await asyncio.gather(
        world.requests.certify(clerk, key, number),
        world.requests.certify(clerk, key, number),
        return_exceptions=True,
    )

    assert results[0] == results[1]
    assert (await world.topics(number)).count("Certified") == 1


# -- many commands at once -----------------------------------------------------------------------


async def test_fifty_concurrent_commands_leave_one_consistent_history(world: World) -> None:
    number = (await world.issued())["tracking_number"]
    certifier = world.staff["homs_civil"]
    before = len(await world.topics(number))
    Command = tuple[str, Callable[[], Awaitable[dict[str, Any]]]]
    commands: list[Command] = []
    for i in range(50):
        clerk, key, text = clerk_at_homs(), world.key("note"), f"ملاحظة {i}"
        commands.append(
            ("note", lambda c=clerk, k=key, t=text: world.requests.add_note(c, k, number, text=t))
        )
    for _ in range(10):
        key = world.key("certify")
        commands.append(("certify", lambda k=key: world.requests.certify(certifier, k, number)))

    outcomes: list[Any] = await asyncio.gather(
        *(run() for _, run in commands), return_exceptions=True
    )
    # A client whose command lost every race sends it again with the same key.
    for i, (_, run) in enumerate(commands):
        while isinstance(outcomes[i], ConcurrencyError):
            try:
                outcomes[i] = await run()
            except (ConcurrencyError, InvalidTransition) as error:
                outcomes[i] = error

    notes = [o for (kind, _), o in zip(commands, outcomes, strict=True) if kind == "note"]
    certified = [o for (kind, _), o in zip(commands, outcomes, strict=True) if kind == "certify"]
    assert all(isinstance(o, dict) for o in notes), notes
    assert sum(isinstance(o, dict) for o in certified) == 1
    assert sum(isinstance(o, InvalidTransition) for o in certified) == 9

    stream = request_id(number)
    records = await world.store.read_stream(stream)
    assert [r.version for r in records] == list(range(1, len(records) + 1))
    topics = [r.topic.rsplit(".", 1)[-1] for r in records]
    assert len(topics) == before + 51
    assert topics.count("Certified") == 1
    assert topics.count("NoteAdded") == 50
    loaded = await world.load(number)
    assert sorted(n["text"] for n in loaded.notes) == sorted(f"ملاحظة {i}" for i in range(50))
    assert loaded.status is Status.CERTIFIED
    assert await world.store.snapshots.latest(stream) is not None, "loaded from a snapshot"
    rebuilt = await replayed(world.store, stream)
    assert isinstance(rebuilt, ServiceRequest)
    assert vars(loaded) == vars(rebuilt)


async def test_fifty_concurrent_notes_all_succeed_without_the_client_retrying(
    world: World,
) -> None:
    number = (await world.file())["tracking_number"]

    outcomes = await asyncio.gather(
        *(
            world.requests.add_note(clerk_at_homs(), world.key(), number, text=str(i))
            for i in range(50)
        ),
        return_exceptions=True,
    )

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
