"""Queue commands: opening the day's queue, tickets, calling, serving, no-shows, closing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from khidma.core.app import Actor, Khidma, NotFound
from khidma.core.app.permissions import COMMANDS
from khidma.core.app.queues import AGENCY_CATEGORY, CATEGORIES, category_for
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.queue import Queue
from khidma.core.domain.queue_tickets import Channel, TicketStatus
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import request_id
from khidma.core.events import EventStore

from .admin_world import (
    ADMIN,
    BIRTH,
    CLERK,
    DAMASCUS,
    HOMS,
    HOMS_CLERK,
    JUSTICE_CLERK,
    SUPERVISOR,
    seed,
)
from .conftest import FixedClock, actor_for, citizen, event_count, key

pytestmark = pytest.mark.store

TODAY = date(2026, 3, 10)  # the conftest clock's Syrian date
NN = "01020304050"
KIOSK = Actor(uuid.uuid4(), Role.SYSTEM, centre=DAMASCUS)
HOMS_KIOSK = Actor(uuid.uuid4(), Role.SYSTEM, centre=HOMS)
QUEUE_COMMANDS = [
    "open_queue",
    "take_ticket",
    "call_next",
    "mark_served",
    "mark_no_show",
    "close_queue",
]


@pytest.fixture
async def seeded(khidma: Khidma) -> Khidma:
    await seed(khidma)
    return khidma


@pytest.fixture
async def opened(seeded: Khidma) -> Khidma:
    """Damascus's queue of today, opened by its supervisor."""
    await seeded.queues.open_queue(SUPERVISOR, key())
    return seeded


async def queue_of(khidma: Khidma, centre: str = DAMASCUS, day: date = TODAY) -> Queue:
    found = await khidma.runner.repository.get(Queue.id_for(centre, day))
    assert isinstance(found, Queue)
    return found


async def refused(store: EventStore, call: Any, field: str) -> None:
    """``call`` raises a ValidationError naming ``field`` and writes nothing."""
    before = await event_count(store)
    with pytest.raises(ValidationError) as error:
        await call
    assert error.value.field == field, error.value
    assert await event_count(store) == before


async def queue_count(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM events WHERE topic LIKE '%Queue%'"))


async def ticket(khidma: Khidma, category: str = "civil", who: Actor = KIOSK) -> str:
    result = await khidma.queues.take_ticket(who, key(), category=category, centre=DAMASCUS)
    return str(result["ticket"])


# -- opening -------------------------------------------------------------------------------------


def test_every_agency_has_a_category() -> None:
    assert set(AGENCY_CATEGORY.values()) <= set(CATEGORIES)
    assert category_for("civil_registry") == "civil"
    assert category_for("state_employees") == category_for("unknown_agency") == "general"
    prefixes = [prefix for prefix, _, _ in CATEGORIES.values()]
    assert len(set(prefixes)) == len(prefixes)


async def test_open_the_queue_of_today(seeded: Khidma) -> None:
    result = await seeded.queues.open_queue(SUPERVISOR, key())
    assert result == {
        "queue_id": str(Queue.id_for(DAMASCUS, TODAY)),
        "centre": DAMASCUS,
        "day": "2026-03-10",
    }
    queue = await queue_of(seeded)
    # The categories of the agencies of the services the centre offers, and its counters.
    assert {c: cat.prefix for c, cat in queue.categories.items()} == {"civil": "C", "justice": "J"}
    assert queue.counters == 4


async def test_the_day_is_syrian(seeded: Khidma, clock: FixedClock) -> None:
    clock.set(datetime(2026, 3, 10, 22, 0, tzinfo=UTC))  # 01:00 on the 11th in Damascus
    result = await seeded.queues.open_queue(CLERK, key())
    assert result["day"] == "2026-03-11"


async def test_open_with_categories_and_counters(seeded: Khidma) -> None:
    categories = [("general", "G", "عامة", "General"), ("civil", "C", "مدني", "Civil")]
    system = actor_for(Role.SYSTEM)
    await seeded.queues.open_queue(
        system, key(), centre=HOMS, day=TODAY + timedelta(days=1), categories=categories, counters=1
    )
    queue = await queue_of(seeded, HOMS, TODAY + timedelta(days=1))
    assert list(queue.categories) == ["general", "civil"] and queue.counters == 1


async def test_bad_openings(seeded: Khidma, store: EventStore) -> None:
    q = seeded.queues
    await refused(store, q.open_queue(SUPERVISOR, key(), day=TODAY - timedelta(days=1)), "day")
    await refused(store, q.open_queue(SUPERVISOR, key(), day="2026-03-11"), "day")  # type: ignore[arg-type]
    await refused(store, q.open_queue(SUPERVISOR, key(), counters=0), "counters")
    await refused(store, q.open_queue(actor_for(Role.SYSTEM), key()), "centre")
    await refused(store, q.open_queue(actor_for(Role.SYSTEM), key(), centre="DAM-77"), "centre")
    bad = [("civil", "CC1", "مدني", "Civil")]
    await refused(store, q.open_queue(SUPERVISOR, key(), categories=bad), "categories[0].prefix")
    await refused(store, q.open_queue(SUPERVISOR, key(), categories=[]), "categories")


async def test_a_queue_opens_once_and_not_at_a_closed_centre(
    seeded: Khidma, store: EventStore
) -> None:
    await seeded.queues.open_queue(SUPERVISOR, key())
    before = await event_count(store)
    with pytest.raises(InvalidTransition, match="opened"):
        await seeded.queues.open_queue(CLERK, key())
    await seeded.admin.change_centre_status(ADMIN, key(), HOMS, status="closed", reason="flood")
    with pytest.raises(InvalidTransition, match="closed"):
        await seeded.queues.open_queue(HOMS_CLERK, key())
    assert await event_count(store) == before + 1  # the status change only


async def test_staff_open_only_their_centre(seeded: Khidma, store: EventStore) -> None:
    for who in (CLERK, SUPERVISOR):
        with pytest.raises(NotAllowed, match="DAM-01, not HMS-01"):
            await seeded.queues.open_queue(who, key(), centre=HOMS)
    with pytest.raises(NotAllowed, match="no centre"):
        await seeded.queues.open_queue(Actor(uuid.uuid4(), Role.CLERK), key())
    assert await queue_count(store) == 0


# -- tickets -------------------------------------------------------------------------------------


async def test_tickets_from_the_kiosk_and_the_app(opened: Khidma, clock: FixedClock) -> None:
    q = opened.queues
    first = await q.take_ticket(KIOSK, key(), category="civil")
    assert (first["ticket"], first["ahead"], first["category"]) == ("C-001", 0, "civil")
    clock.advance(minutes=1)
    me = await citizen(opened, NN)
    second = await q.take_ticket(me, key(), category="civil", centre=DAMASCUS)
    assert (second["ticket"], second["ahead"]) == ("C-002", 1)
    assert second["estimated_wait_minutes"] == 5  # one ahead, at the default pace
    third = await q.take_ticket(CLERK, key(), category="justice", citizen_id=uuid.uuid4())
    assert third["ticket"] == "J-001"
    queue = await queue_of(opened)
    mine = queue.ticket("C-002")
    assert (mine.channel, mine.citizen_id) == (Channel.APP, me.id)
    assert queue.ticket("C-001").channel is Channel.KIOSK


async def test_bad_tickets(opened: Khidma, store: EventStore) -> None:
    q = opened.queues
    me = await citizen(opened, NN)
    await refused(store, q.take_ticket(me, key(), category="civil"), "centre")
    await refused(store, q.take_ticket(KIOSK, key(), category="tax"), "category")
    with pytest.raises(NotAllowed, match="for themselves"):
        await q.take_ticket(me, key(), category="civil", centre=DAMASCUS, citizen_id=uuid.uuid4())
    await q.take_ticket(me, key(), category="civil", centre=DAMASCUS)
    before = await event_count(store)
    with pytest.raises(InvalidTransition, match="one waiting ticket per category"):
        await q.take_ticket(me, key(), category="civil", centre=DAMASCUS)
    with pytest.raises(NotAllowed, match="HMS-01, not DAM-01"):
        await q.take_ticket(HOMS_KIOSK, key(), category="civil", centre=DAMASCUS)
    with pytest.raises(NotFound):
        await q.take_ticket(HOMS_KIOSK, key(), category="civil")  # Homs opened no queue
    assert await event_count(store) == before


async def test_a_retried_ticket_is_the_same_ticket(opened: Khidma, store: EventStore) -> None:
    same = key()
    first = await opened.queues.take_ticket(KIOSK, same, category="civil")
    before = await event_count(store)
    again = await opened.queues.take_ticket(KIOSK, same, category="civil")
    assert again == first
    assert await event_count(store) == before
    with pytest.raises(NotAllowed, match="another command or actor"):
        await opened.queues.call_next(CLERK, same, counter=1)


# -- counters ------------------------------------------------------------------------------------


async def test_clerks_call_their_agencys_category(opened: Khidma, clock: FixedClock) -> None:
    q = opened.queues
    await ticket(opened, "justice")
    clock.advance(minutes=1)
    await ticket(opened, "civil")
    clock.advance(minutes=1)
    called = await q.call_next(CLERK, key(), counter=1)
    assert (called["ticket"], called["counter"]) == ("C-001", 1)
    called = await q.call_next(JUSTICE_CLERK, key(), counter=2)
    assert called["ticket"] == "J-001"
    queue = await queue_of(opened)
    assert queue.now_serving == {1: "C-001", 2: "J-001"}
    assert queue.ticket("C-001").clerk_id == CLERK.id


async def test_supervisors_call_any_category(opened: Khidma, clock: FixedClock) -> None:
    await ticket(opened, "justice")
    clock.advance(minutes=1)
    called = await opened.queues.call_next(SUPERVISOR, key(), counter=3)
    assert called["ticket"] == "J-001"


async def test_nobody_waiting(opened: Khidma, store: EventStore) -> None:
    before = await event_count(store)
    called = await opened.queues.call_next(CLERK, key(), counter=1, categories=["justice"])
    assert called["ticket"] is None
    assert await event_count(store) == before


async def test_a_retried_empty_call_answers_as_the_first_time(
    opened: Khidma, clock: FixedClock
) -> None:
    same = key()
    first = await opened.queues.call_next(CLERK, same, counter=1)
    assert first["ticket"] is None
    await ticket(opened)
    clock.advance(minutes=1)
    assert await opened.queues.call_next(CLERK, same, counter=1) == first


async def test_bad_calls(opened: Khidma, store: EventStore, clock: FixedClock) -> None:
    q = opened.queues
    await ticket(opened)
    clock.advance(minutes=1)
    await refused(store, q.call_next(CLERK, key(), counter=5), "counter")
    await refused(store, q.call_next(CLERK, key(), counter=1, categories=["tax"]), "categories[0]")
    await refused(store, q.call_next(CLERK, key(), counter=1, categories=[]), "categories")
    with pytest.raises(NotFound):
        await q.call_next(HOMS_CLERK, key(), counter=1)  # their centre opened no queue
    await q.call_next(CLERK, key(), counter=1)
    await ticket(opened)
    clock.advance(minutes=1)
    with pytest.raises(InvalidTransition, match="finish it first"):
        await q.call_next(CLERK, key(), counter=2)


async def submitted(khidma: Khidma) -> str:
    """A birth statement filed at Damascus's counter; its tracking number."""
    await khidma.citizens.register_citizen(
        CLERK,
        key(),
        national_number=NN,
        first_name_ar="سامي",
        first_name_en="Sami",
        last_name_ar="الأحمد",
        last_name_en="Al-Ahmad",
    )
    filed = await khidma.requests.submit(
        CLERK,
        key(),
        service_code=BIRTH,
        form={},
        delivery="pickup",
        pickup_centre=DAMASCUS,
        national_number=NN,
    )
    return str(filed["tracking_number"])


async def test_served_with_the_requests_filed(
    opened: Khidma, store: EventStore, clock: FixedClock
) -> None:
    number = await submitted(opened)
    await ticket(opened)
    clock.advance(minutes=1)
    await opened.queues.call_next(CLERK, key(), counter=1)
    clock.advance(minutes=4)
    q = opened.queues
    unknown = "DAM-2026-0009999-" + "0"
    for call, field in [
        (q.mark_served(CLERK, key(), ticket="C-001"), "counter"),
        (
            q.mark_served(CLERK, key(), ticket="C-001", counter=1, tracking_numbers=number),
            "tracking_numbers",
        ),
        (
            q.mark_served(CLERK, key(), ticket="C-001", counter=1, tracking_numbers=["DAM-1"]),
            "tracking_numbers[0]",
        ),
        (q.mark_served(CLERK, key(), ticket="C-009", counter=1), "ticket"),
    ]:
        await refused(store, call, field)
    with pytest.raises(ValidationError) as error:
        await q.mark_served(CLERK, key(), ticket="C-001", counter=1, tracking_numbers=[unknown])
    assert error.value.field == "tracking_numbers[0]"
    with pytest.raises(InvalidTransition, match="counter 2 did not call it"):
        await q.mark_served(JUSTICE_CLERK, key(), ticket="C-001", counter=2)
    served = await q.mark_served(
        CLERK, key(), ticket="c-001", counter=1, tracking_numbers=[number.lower()]
    )
    assert served["status"] == "served"
    assert served["request_ids"] == [str(request_id(number))]
    queue = await queue_of(opened)
    assert queue.average_service_time() == timedelta(minutes=4)


async def test_no_show(opened: Khidma, clock: FixedClock) -> None:
    await ticket(opened)
    clock.advance(minutes=1)
    await opened.queues.call_next(SUPERVISOR, key(), counter=2)
    result = await opened.queues.mark_no_show(SUPERVISOR, key(), ticket="C-001")
    assert result["status"] == "no_show"
    with pytest.raises(InvalidTransition, match="only a called ticket"):
        await opened.queues.mark_no_show(CLERK, key(), ticket="C-001", counter=2)


async def test_close_the_day(opened: Khidma, store: EventStore, clock: FixedClock) -> None:
    await ticket(opened)
    clock.advance(minutes=1)
    await ticket(opened)
    await opened.queues.call_next(CLERK, key(), counter=1)
    await opened.queues.mark_served(CLERK, key(), ticket="C-001", counter=1)
    closed = await opened.queues.close_queue(CLERK, key())
    assert (closed["served"], closed["not_served"]) == (1, 1)
    queue = await queue_of(opened)
    assert queue.ticket("C-002").status is TicketStatus.NOT_SERVED
    before = await event_count(store)
    with pytest.raises(InvalidTransition, match="closed"):
        await opened.queues.take_ticket(KIOSK, key(), category="civil")
    with pytest.raises(NotAllowed, match="DAM-01, not HMS-01"):
        await opened.queues.close_queue(SUPERVISOR, key(), centre=HOMS)
    assert await event_count(store) == before


# -- the role table ------------------------------------------------------------------------------


async def prepare(khidma: Khidma, command: str, i: int) -> None:
    """What ``command`` needs in place for attempt ``i``: the day's queue (8 counters) exists;
    a ticket waits; for finishing, one is called to counter ``i + 1``."""
    if command == "open_queue":
        return
    if command == "close_queue":
        await khidma.queues.open_queue(SUPERVISOR, key(), day=TODAY + timedelta(days=i))
        return
    if i == 0:
        await khidma.queues.open_queue(SUPERVISOR, key(), counters=8)
    await ticket(khidma)
    if command in ("mark_served", "mark_no_show"):
        caller = Actor(uuid.uuid4(), Role.SUPERVISOR, centre=DAMASCUS)
        await khidma.queues.call_next(caller, key(), counter=i + 1)


async def attempt(khidma: Khidma, command: str, who: Actor, i: int) -> dict[str, Any]:
    q = khidma.queues
    day = TODAY + timedelta(days=i)
    if command == "open_queue":
        return await q.open_queue(who, key(), centre=DAMASCUS, day=day)
    if command == "take_ticket":
        return await q.take_ticket(who, key(), category="civil", centre=DAMASCUS)
    if command == "call_next":
        return await q.call_next(who, key(), counter=i + 1)
    if command == "mark_served":
        return await q.mark_served(who, key(), ticket=f"C-{i + 1:03d}", counter=i + 1)
    if command == "mark_no_show":
        return await q.mark_no_show(who, key(), ticket=f"C-{i + 1:03d}", counter=i + 1)
    assert command == "close_queue"
    return await q.close_queue(who, key(), centre=DAMASCUS, day=day)


@pytest.mark.parametrize("command", QUEUE_COMMANDS)
async def test_roles_follow_the_permission_table(
    seeded: Khidma, store: EventStore, clock: FixedClock, command: str
) -> None:
    for i, role in enumerate(Role):
        await prepare(seeded, command, i)
        clock.advance(minutes=1)
        who = actor_for(role, centre=DAMASCUS)
        before = await event_count(store)
        if role in COMMANDS[command]:
            await attempt(seeded, command, who, i)
            assert await event_count(store) > before, role
        else:
            with pytest.raises(NotAllowed, match="role may not do this"):
                await attempt(seeded, command, who, i)
            assert await event_count(store) == before
