"""The queue system (نظام دور): numbering, calling, finishing, closing, waits and replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from khidma.core.domain.errors import InvalidTransition, ValidationError
from khidma.core.domain.queue import DEFAULT_SERVICE_TIME, MAX_RECALLS, Queue
from khidma.core.domain.queue_tickets import FINISHED, Channel, TicketStatus
from khidma.core.events.transcoder import new_mapper

DAY = date(2026, 3, 1)
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
CATEGORIES = [
    ("civil", "C", "الأحوال المدنية", "Civil affairs"),
    ("justice", "J", "السجل العدلي", "Criminal record"),
    ("real_estate", "RE", "السجل العقاري", "Real-estate registry"),
]
CODES = [c[0] for c in CATEGORIES]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_queue(counters: int = 3, day: date = DAY, centre: str = "HMS-01") -> Queue:
    queue = Queue.open(centre, day, CATEGORIES, counters, T0)
    queue.collect_events()
    return queue


def refused(queue: Queue, error: type[Exception], call: Callable[[], Any]) -> Any:
    """Run ``call``, expect ``error``, and check that no event was triggered."""
    before = len(queue.pending_events), queue.version
    with pytest.raises(error) as caught:
        call()
    assert (len(queue.pending_events), queue.version) == before
    return caught.value


def replayed(events: list[Any]) -> Queue:
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, Queue)
    return copy


# -- opening and identity ---------------------------------------------------------------------


def test_id_is_per_centre_and_day() -> None:
    queue = Queue.open("HMS-01", DAY, CATEGORIES, 3, T0)
    assert queue.id == Queue.id_for("HMS-01", DAY) == Queue.id_for(" hms-٠١ ", DAY)
    assert Queue.id_for("HMS-01", DAY + timedelta(days=1)) != queue.id
    assert Queue.id_for("DAM-MAZZEH", DAY) != queue.id
    assert queue.centre_code == "HMS-01" and queue.day == DAY and queue.counters == 3
    assert queue.categories["real_estate"].prefix == "RE"
    assert queue.categories["civil"].name_ar == "الأحوال المدنية"
    assert queue.is_open and queue.opened_at == T0
    assert [type(e).__name__ for e in queue.collect_events()] == ["Opened"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"centre_code": "HMS 01"}, "centre_code"),
        ({"centre_code": ""}, "centre_code"),
        ({"day": T0}, "day"),
        ({"counters": 0}, "counters"),
        ({"counters": True}, "counters"),
        ({"counters": 10_000}, "counters"),
        ({"at": datetime(2026, 3, 1, 8)}, "at"),
        ({"categories": []}, "categories"),
        ({"categories": [("civil", "C", "مدني")]}, "categories[0]"),
        ({"categories": [("Civil!", "C", "مدني", "Civil")]}, "categories[0].code"),
        ({"categories": [("civil", "C1", "مدني", "Civil")]}, "categories[0].prefix"),
        ({"categories": [("civil", "ABC", "مدني", "Civil")]}, "categories[0].prefix"),
        ({"categories": [("civil", "C", "", "Civil")]}, "categories[0].name.ar"),
        ({"categories": [("civil", "C", "مدني", "x" * 101)]}, "categories[0].name.en"),
        (
            {"categories": [*CATEGORIES, ("council", "c", "مجلس", "Council")]},
            "categories[3].prefix",
        ),
        ({"categories": [*CATEGORIES, ("civil", "X", "مدني", "Civil")]}, "categories[3].code"),
    ],
)
def test_open_refuses_bad_input(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {
        "centre_code": "HMS-01",
        "day": DAY,
        "categories": CATEGORIES,
        "counters": 3,
        "at": T0,
    }
    with pytest.raises(ValidationError) as caught:
        Queue.open(**(args | kwargs))
    assert caught.value.field == field


# -- taking tickets ---------------------------------------------------------------------------


def test_numbers_run_per_category() -> None:
    queue = new_queue()
    numbers = [queue.take_ticket(c, at(1)) for c in ["civil", "civil", "justice", "real_estate"]]
    numbers.append(queue.take_ticket("civil", at(2)))
    assert numbers == ["C-001", "C-002", "J-001", "RE-001", "C-003"]
    assert queue.waiting("civil") == ["C-001", "C-002", "C-003"]
    ticket = queue.ticket("C-002")
    assert (ticket.category, ticket.seq, ticket.status, ticket.taken_at) == (
        "civil",
        2,
        TicketStatus.WAITING,
        at(1),
    )
    assert ticket.channel is Channel.KIOSK and ticket.citizen_id is None


def test_numbers_restart_on_another_day() -> None:
    today, tomorrow = new_queue(), new_queue(day=DAY + timedelta(days=1))
    for _ in range(4):
        today.take_ticket("civil", at(1))
    assert tomorrow.take_ticket("civil", at(24 * 60)) == "C-001"
    assert today.take_ticket("civil", at(2)) == "C-005"
    assert tomorrow.id != today.id


def test_numbers_grow_past_three_digits() -> None:
    queue = new_queue()
    for _ in range(999):
        queue.take_ticket("justice", at(1))
    assert queue.take_ticket("justice", at(1)) == "J-1000"


def test_take_ticket_refuses_bad_input() -> None:
    queue = new_queue()
    assert refused(queue, ValidationError, lambda: queue.take_ticket("tax", at(1))).field == (
        "category"
    )
    error = refused(queue, ValidationError, lambda: queue.take_ticket("civil", at(-1)))
    assert error.field == "at"
    error = refused(queue, ValidationError, lambda: queue.take_ticket("civil", at(1), "phone"))
    assert error.field == "channel"
    error = refused(queue, ValidationError, lambda: queue.take_ticket("civil", at(1), "app"))
    assert error.field == "citizen_id"
    error = refused(queue, ValidationError, lambda: queue.take_ticket("civil", at(1), "kiosk", 7))
    assert error.field == "citizen_id"


def test_a_citizen_holds_one_waiting_ticket_per_category() -> None:
    queue, citizen = new_queue(), uuid4()
    assert queue.take_ticket("civil", at(1), "app", citizen) == "C-001"
    assert queue.ticket("C-001").channel is Channel.APP
    assert queue.ticket("C-001").citizen_id == citizen
    error = refused(
        queue, InvalidTransition, lambda: queue.take_ticket("civil", at(2), "app", citizen)
    )
    assert "C-001" in str(error)
    assert queue.take_ticket("justice", at(2), "app", citizen) == "J-001"
    queue.call_next(1, uuid4(), ["civil"], at(3))
    assert queue.take_ticket("civil", at(4), "kiosk", citizen) == "C-002"


# -- calling ----------------------------------------------------------------------------------


def test_calls_are_first_in_first_out_per_category() -> None:
    queue, clerk = new_queue(counters=1), uuid4()
    for minute in range(3):
        queue.take_ticket("civil", at(minute))
    queue.take_ticket("justice", at(0.5))
    called = []
    for minute in range(10, 14):
        number = queue.call_next(1, clerk, ["civil"], at(minute))
        if number is not None:
            called.append(number)
            queue.mark_served(number, [], at(minute + 0.5))
    assert called == ["C-001", "C-002", "C-003"]
    assert queue.waiting("justice") == ["J-001"]


def test_a_clerk_of_several_categories_gets_the_oldest_ticket() -> None:
    queue, clerk = new_queue(counters=1), uuid4()
    queue.take_ticket("civil", at(2))
    queue.take_ticket("justice", at(1))
    queue.take_ticket("civil", at(3))
    order = []
    for minute in (10, 11, 12):
        number = queue.call_next(1, clerk, ["civil", "justice"], at(minute))
        assert number is not None
        order.append(number)
        queue.mark_no_show(number, at(minute + 0.5))
    assert order == ["J-001", "C-001", "C-002"]


def test_call_next_with_nobody_waiting_returns_none_and_triggers_nothing() -> None:
    queue = new_queue()
    queue.take_ticket("justice", at(1))
    queue.collect_events()
    assert queue.call_next(1, uuid4(), ["civil"], at(2)) is None
    assert queue.collect_events() == []


def test_call_next_records_counter_clerk_and_time() -> None:
    queue, clerk = new_queue(), uuid4()
    queue.take_ticket("civil", at(1))
    assert queue.call_next(2, clerk, ["civil"], at(5)) == "C-001"
    ticket = queue.ticket("C-001")
    assert (ticket.status, ticket.counter, ticket.clerk_id, ticket.called_at) == (
        TicketStatus.SERVING,
        2,
        clerk,
        at(5),
    )
    assert queue.now_serving == {2: "C-001"}
    assert queue.waiting("civil") == []


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0, ["civil"]), "counter"),
        ((4, ["civil"]), "counter"),
        (("1", ["civil"]), "counter"),
        ((1, []), "categories"),
        ((1, "civil"), "categories"),
        ((1, ["civil", "tax"]), "categories[1]"),
    ],
)
def test_call_next_refuses_bad_input(args: tuple[Any, Any], field: str) -> None:
    queue = new_queue()
    queue.take_ticket("civil", at(1))
    counter, categories = args
    error = refused(
        queue, ValidationError, lambda: queue.call_next(counter, uuid4(), categories, at(2))
    )
    assert error.field == field


def test_a_counter_cannot_call_while_serving() -> None:
    queue, clerk = new_queue(), uuid4()
    queue.take_ticket("civil", at(1))
    queue.take_ticket("civil", at(1))
    queue.call_next(1, clerk, ["civil"], at(2))
    error = refused(queue, InvalidTransition, lambda: queue.call_next(1, clerk, ["civil"], at(3)))
    assert "counter 1 serving C-001" in str(error)
    queue.mark_served("C-001", [], at(4))
    assert queue.call_next(1, clerk, ["civil"], at(5)) == "C-002"


def test_a_clerk_serving_at_one_counter_cannot_call_to_another() -> None:
    queue, clerk = new_queue(), uuid4()
    queue.take_ticket("civil", at(1))
    queue.take_ticket("civil", at(1))
    queue.call_next(1, clerk, ["civil"], at(2))
    error = refused(queue, InvalidTransition, lambda: queue.call_next(2, clerk, ["civil"], at(3)))
    assert "counter 1" in str(error)
    assert queue.call_next(2, uuid4(), ["civil"], at(3)) == "C-002"


# -- finishing --------------------------------------------------------------------------------


def test_mark_served_links_requests_and_times() -> None:
    queue, requests = new_queue(), [uuid4(), uuid4()]
    queue.take_ticket("civil", at(1))
    queue.call_next(1, uuid4(), ["civil"], at(2))
    queue.mark_served("c-٠٠١", requests, at(9), counter=1)  # typed with Arabic-Indic digits
    ticket = queue.ticket("C-001")
    assert ticket.status is TicketStatus.SERVED
    assert ticket.request_ids == tuple(requests)
    assert (ticket.taken_at, ticket.called_at, ticket.finished_at) == (at(1), at(2), at(9))
    assert queue.now_serving == {}
    assert (queue.served_count, queue.no_show_count) == (1, 0)


def test_served_and_no_show_only_for_a_called_ticket_at_its_counter() -> None:
    queue = new_queue()
    queue.take_ticket("civil", at(1))
    queue.take_ticket("civil", at(1))
    queue.call_next(1, uuid4(), ["civil"], at(2))
    for command in (queue.mark_served, queue.mark_no_show):
        extra = ([],) if command == queue.mark_served else ()
        error = refused(queue, InvalidTransition, lambda c=command, e=extra: c("C-002", *e, at(3)))
        assert "C-002 waiting" in str(error)
        error = refused(
            queue, InvalidTransition, lambda c=command, e=extra: c("C-001", *e, at(3), counter=2)
        )
        assert "counter 2 did not call it" in str(error)
        error = refused(queue, ValidationError, lambda c=command, e=extra: c("C-009", *e, at(3)))
        assert error.field == "ticket"
        error = refused(queue, ValidationError, lambda c=command, e=extra: c("C-001", *e, at(1)))
        assert error.field == "at"
    queue.mark_served("C-001", [], at(3), counter=1)
    error = refused(queue, InvalidTransition, lambda: queue.mark_served("C-001", [], at(4)))
    assert "C-001 served" in str(error)
    refused(queue, InvalidTransition, lambda: queue.mark_no_show("C-001", at(4)))


@pytest.mark.parametrize(
    ("request_ids", "field"),
    [
        ("abc", "request_ids"),
        ([uuid4(), "x"], "request_ids[1]"),
        ([UUID(int=1)] * 2, "request_ids"),
    ],
)
def test_mark_served_refuses_bad_request_ids(request_ids: Any, field: str) -> None:
    queue = new_queue()
    queue.take_ticket("civil", at(1))
    queue.call_next(1, uuid4(), ["civil"], at(2))
    error = refused(queue, ValidationError, lambda: queue.mark_served("C-001", request_ids, at(3)))
    assert error.field == field


def test_no_show_frees_the_counter() -> None:
    queue, clerk = new_queue(), uuid4()
    queue.take_ticket("civil", at(1))
    queue.take_ticket("civil", at(1))
    queue.call_next(1, clerk, ["civil"], at(2))
    queue.mark_no_show("C-001", at(4), counter=1)
    assert queue.ticket("C-001").status is TicketStatus.NO_SHOW
    assert queue.ticket("C-001").finished_at == at(4)
    assert queue.no_show_count == 1
    assert queue.call_next(1, clerk, ["civil"], at(5)) == "C-002"


def test_recall_at_most_max_recalls_times() -> None:
    queue = new_queue()
    queue.take_ticket("civil", at(1))
    refused(queue, InvalidTransition, lambda: queue.recall("C-001", at(2)))
    queue.call_next(1, uuid4(), ["civil"], at(2))
    for i in range(MAX_RECALLS):
        queue.recall("C-001", at(3 + i), counter=1)
    assert queue.ticket("C-001").recalls == MAX_RECALLS
    error = refused(queue, InvalidTransition, lambda: queue.recall("C-001", at(9)))
    assert "recalled 3 times" in str(error)
    refused(queue, InvalidTransition, lambda: queue.recall("C-001", at(9), counter=3))
    queue.mark_no_show("C-001", at(10))


# -- closing ----------------------------------------------------------------------------------


def test_close_marks_waiting_tickets_not_served() -> None:
    queue = new_queue()
    for category in ("civil", "civil", "justice"):
        queue.take_ticket(category, at(1))
    queue.call_next(1, uuid4(), ["civil"], at(2))
    queue.close(at(60))
    assert not queue.is_open and queue.closed_at == at(60)
    assert queue.waiting("civil") == [] and queue.waiting("justice") == []
    for number in ("C-002", "J-001"):
        assert queue.ticket(number).status is TicketStatus.NOT_SERVED
        assert queue.ticket(number).finished_at == at(60)
    assert queue.counts()[TicketStatus.NOT_SERVED] == 2
    # The counter still finishes the citizen in front of it.
    assert queue.ticket("C-001").status is TicketStatus.SERVING
    queue.mark_served("C-001", [uuid4()], at(65))
    assert queue.served_count == 1


def test_a_closed_queue_refuses_new_tickets_calls_and_closing() -> None:
    queue = new_queue()
    queue.take_ticket("civil", at(1))
    queue.close(at(60))
    for call in (
        lambda: queue.take_ticket("civil", at(61)),
        lambda: queue.call_next(1, uuid4(), ["civil"], at(61)),
        lambda: queue.close(at(62)),
    ):
        assert "closed" in str(refused(queue, InvalidTransition, call))


def test_close_refuses_a_time_before_opening() -> None:
    queue = new_queue()
    assert refused(queue, ValidationError, lambda: queue.close(at(-5))).field == "at"


# -- estimated wait ---------------------------------------------------------------------------


def test_estimated_wait_uses_the_default_without_data() -> None:
    queue = new_queue()
    assert queue.estimated_wait("civil", at(0)) == timedelta(0)
    for _ in range(3):
        queue.take_ticket("civil", at(1))
    assert queue.average_service_time() is None
    assert queue.estimated_wait("civil", at(1)) == 3 * DEFAULT_SERVICE_TIME


def test_estimated_wait_uses_todays_service_times() -> None:
    queue = new_queue()
    for _ in range(6):
        queue.take_ticket("civil", at(0))
    queue.take_ticket("justice", at(0))
    queue.call_next(1, uuid4(), ["civil"], at(1))
    queue.mark_served("C-001", [], at(3))  # 2 minutes
    queue.call_next(1, uuid4(), ["civil"], at(3))
    queue.mark_served("C-002", [], at(7))  # 4 minutes
    assert queue.average_service_time("civil") == timedelta(minutes=3)
    # 4 waiting × 3 minutes at the one counter that serves civil.
    assert queue.estimated_wait("civil", at(7)) == timedelta(minutes=12)
    # Justice has no data of its own: the day's average applies.
    assert queue.estimated_wait("justice", at(7)) == timedelta(minutes=3)
    # A second counter serving civil halves it; its ticket in service adds what is left of it.
    queue.call_next(2, uuid4(), ["civil"], at(7))
    assert queue.estimated_wait("civil", at(8)) == timedelta(minutes=(3 * 3 + 2) / 2)
    # No-shows do not count as service time.
    queue.mark_no_show("C-003", at(30))
    assert queue.average_service_time("civil") == timedelta(minutes=3)


def test_estimated_wait_refuses_bad_input() -> None:
    queue = new_queue()
    with pytest.raises(ValidationError) as caught:
        queue.estimated_wait("tax", at(1))
    assert caught.value.field == "category"
    with pytest.raises(ValidationError) as caught:
        queue.estimated_wait("civil", datetime(2026, 3, 1, 9))
    assert caught.value.field == "now"


# -- events -----------------------------------------------------------------------------------


def test_events_round_trip_through_the_store_mapper() -> None:
    queue = Queue.open("DAM-MEIDAN", DAY, CATEGORIES, 12, T0)
    queue.take_ticket("civil", at(1), Channel.APP, uuid4())
    queue.take_ticket("justice", at(1))
    queue.call_next(3, uuid4(), ["civil"], at(2))
    queue.recall("C-001", at(3))
    queue.mark_served("C-001", [uuid4()], at(4))
    queue.call_next(3, uuid4(), ["justice"], at(5))
    queue.mark_no_show("J-001", at(6))
    queue.take_ticket("real_estate", at(7))
    queue.close(at(8))
    events = queue.collect_events()
    mapper = new_mapper()
    loaded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]
    assert [type(e).__name__ for e in loaded] == [
        "Opened",
        "TicketTaken",
        "TicketTaken",
        "TicketCalled",
        "TicketRecalled",
        "TicketServed",
        "TicketCalled",
        "NoShowRecorded",
        "TicketTaken",
        "Closed",
    ]
    assert loaded == events
    assert vars(replayed(loaded)) == vars(queue)


# -- random command sequences ---------------------------------------------------------------


class QueueMachine(RuleBasedStateMachine):
    """Random take/call/serve/no-show/recall/close sequences against a simple model."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = T0
        self.queue = Queue.open("HMS-01", DAY, CATEGORIES, 3, T0)
        self.clerks = {n: uuid4() for n in (1, 2, 3)}
        self.events: list[Any] = []  # collected at the end, then replayed
        self.order: list[str] = []  # every number issued, in order
        self.status: dict[str, TicketStatus] = {}
        self.counter_of: dict[str, int] = {}
        self.served_once: set[str] = set()

    def tick(self, minutes: int) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    @rule(category=st.sampled_from(CODES), minutes=st.integers(0, 3))
    def take(self, category: str, minutes: int) -> None:
        now = self.tick(minutes)
        if not self.queue.is_open:
            refused(self.queue, InvalidTransition, lambda: self.queue.take_ticket(category, now))
            return
        number = self.queue.take_ticket(category, now)
        assert number not in self.status, f"{number} issued twice"
        self.order.append(number)
        self.status[number] = TicketStatus.WAITING

    @rule(
        counter=st.integers(1, 3),
        categories=st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
        minutes=st.integers(0, 3),
    )
    def call(self, counter: int, categories: list[str], minutes: int) -> None:
        now, clerk = self.tick(minutes), self.clerks[counter]
        busy = counter in self.counter_of.values()
        if not self.queue.is_open or busy:
            refused(
                self.queue,
                InvalidTransition,
                lambda: self.queue.call_next(counter, clerk, categories, now),
            )
            return
        waiting = [
            n
            for n in self.order
            if self.status[n] is TicketStatus.WAITING
            and self.queue.ticket(n).category in categories
        ]
        number = self.queue.call_next(counter, clerk, categories, now)
        assert number == (waiting[0] if waiting else None)
        if number is not None:
            self.status[number] = TicketStatus.SERVING
            self.counter_of[number] = counter

    def finish(self, data: st.DataObject, served: bool) -> None:
        number = data.draw(st.sampled_from(self.order))
        now = self.tick(data.draw(st.integers(0, 10)))
        if served:
            command = lambda: self.queue.mark_served(number, [uuid4()], now)  # noqa: E731
        else:
            command = lambda: self.queue.mark_no_show(number, now)  # noqa: E731
        if self.status[number] is not TicketStatus.SERVING:
            refused(self.queue, InvalidTransition, command)
            return
        command()
        if served:
            assert number not in self.served_once, f"{number} served twice"
            self.served_once.add(number)
        self.status[number] = TicketStatus.SERVED if served else TicketStatus.NO_SHOW
        del self.counter_of[number]

    @precondition(lambda self: self.order)
    @rule(data=st.data())
    def serve(self, data: st.DataObject) -> None:
        self.finish(data, served=True)

    @precondition(lambda self: self.order)
    @rule(data=st.data())
    def no_show(self, data: st.DataObject) -> None:
        self.finish(data, served=False)

    @precondition(lambda self: self.order)
    @rule(data=st.data())
    def recall(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(self.order))
        now = self.tick(0)
        ticket = self.queue.ticket(number)
        if ticket.status is TicketStatus.SERVING and ticket.recalls < MAX_RECALLS:
            self.queue.recall(number, now)
        else:
            refused(self.queue, InvalidTransition, lambda: self.queue.recall(number, now))

    @precondition(lambda self: len(self.order) >= 8)
    @rule()
    def close(self) -> None:
        now = self.tick(1)
        if not self.queue.is_open:
            refused(self.queue, InvalidTransition, lambda: self.queue.close(now))
            return
        self.queue.close(now)
        for number, status in self.status.items():
            if status is TicketStatus.WAITING:
                self.status[number] = TicketStatus.NOT_SERVED

    @invariant()
    def every_ticket_is_in_exactly_one_place(self) -> None:
        queue = self.queue
        waiting = [n for c in CODES for n in queue.waiting(c)]
        serving = list(queue.now_serving.values())
        finished = [t.number for t in queue.tickets if t.status in FINISHED]
        places = waiting + serving + finished
        assert sorted(places) == sorted(self.order), "a ticket is lost or in two places"
        assert all(queue.ticket(n).status is TicketStatus.WAITING for n in waiting)
        assert all(queue.ticket(n).status is TicketStatus.SERVING for n in serving)
        assert {t.number: t.status for t in queue.tickets} == self.status
        for counter, number in queue.now_serving.items():
            assert queue.ticket(number).counter == counter
        for code in CODES:
            # Waiting tickets are in the order they were taken, and numbers have no gaps.
            assert queue.waiting(code) == sorted(queue.waiting(code), key=self.order.index)
            seqs = [t.seq for t in queue.tickets if t.category == code]
            assert seqs == list(range(1, len(seqs) + 1))
        assert queue.served_count == len(self.served_once)

    def teardown(self) -> None:
        self.events.extend(self.queue.collect_events())
        assert vars(replayed(self.events)) == vars(self.queue)


QueueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40)
test_random_command_sequences = QueueMachine.TestCase
