"""The queue system (نظام دور) of one centre on one day: tickets, the waiting hall, the counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from .centre import MAX_COUNTERS, parse_centre_code
from .errors import InvalidTransition, ValidationError
from .ids import derived_id
from .queue_tickets import (
    Category,
    Channel,
    Ticket,
    TicketStatus,
    a_uuid,
    not_before,
    parse_categories,
    whole_number,
)
from .text import choice, moment, western_digits

# Fixed, so a centre's queue for a day has the same id on every server.
QUEUE_NAMESPACE = UUID("6f1e3a52-4c1d-5b8e-9a57-2f0c8d3e1b64")
DEFAULT_SERVICE_TIME = timedelta(minutes=5)
MAX_RECALLS = 3
MAX_REQUESTS_PER_TICKET = 50


class Queue(Aggregate):
    """The tickets of one centre on one day; ticket numbers restart with each day's queue."""

    @staticmethod
    def id_for(centre_code: str, day: date) -> UUID:
        """The id of ``centre_code``'s queue on ``day``."""
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValidationError("day", "expected a date")
        return derived_id(
            QUEUE_NAMESPACE, f"{parse_centre_code(centre_code, 'centre_code')}/{day.isoformat()}"
        )

    @staticmethod
    def create_id(centre_code: str, day: date) -> UUID:
        return Queue.id_for(centre_code, day)

    # -- creation -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        centre_code: str,
        day: date,
        categories: Sequence[tuple[str, str, str, str]],
        counters: int,
        at: datetime,
    ) -> Queue:
        """Open the day's queue with its service categories and number of counters."""
        code = parse_centre_code(centre_code, "centre_code")
        cls.id_for(code, day)  # validates the day
        return cls(
            centre_code=code,
            day=day,
            categories=parse_categories(categories),
            counters=whole_number("counters", counters, MAX_COUNTERS),
            at=moment("at", at),
        )

    @event("Opened")
    def __init__(
        self,
        centre_code: str,
        day: date,
        categories: list[dict[str, str]],
        counters: int,
        at: datetime,
    ) -> None:
        self.centre_code = centre_code
        self.day = day
        self.counters = counters
        self.opened_at = at
        self.closed_at: datetime | None = None
        self.categories = {c["code"]: Category(**c) for c in categories}
        self._issued = {code: 0 for code in self.categories}
        self._waiting: dict[str, list[str]] = {code: [] for code in self.categories}
        self._serving: dict[int, str] = {}
        self._tickets: dict[str, Ticket] = {}

    # -- commands -------------------------------------------------------------------------------

    def take_ticket(
        self,
        category: str,
        at: datetime,
        channel: Channel | str = Channel.KIOSK,
        citizen_id: UUID | None = None,
    ) -> str:
        """Issue the next number in ``category`` and return it, e.g. ``"C-001"``."""
        self._require_open("take_ticket")
        code = self._category("category", category)
        at = self._after_opening(at)
        chosen = choice("channel", Channel, channel)
        if citizen_id is not None:
            a_uuid("citizen_id", citizen_id)
            for number in self._waiting[code]:
                if self._tickets[number].citizen_id == citizen_id:
                    raise InvalidTransition(
                        "take_ticket", f"holding ticket {number}", "one waiting ticket per category"
                    )
        elif chosen is Channel.APP:
            raise ValidationError("citizen_id", "required for a ticket taken in the app")
        seq = self._issued[code] + 1
        number = f"{self.categories[code].prefix}-{seq:03d}"
        self._ticket_taken(number, code, seq, chosen, citizen_id, at)
        return number

    def call_next(
        self, counter: int, clerk_id: UUID, categories: Sequence[str], at: datetime
    ) -> str | None:
        """Call the oldest waiting ticket of ``categories`` to ``counter``; None if nobody waits."""
        self._require_open("call_next")
        counter = whole_number("counter", counter, self.counters)
        a_uuid("clerk_id", clerk_id)
        if isinstance(categories, str) or not isinstance(categories, Sequence) or not categories:
            raise ValidationError("categories", "expected a non-empty list of category codes")
        codes = {self._category(f"categories[{i}]", c) for i, c in enumerate(categories)}
        at = self._after_opening(at)
        if counter in self._serving:
            raise InvalidTransition(
                "call_next",
                f"counter {counter} serving {self._serving[counter]}",
                "mark it served or no-show first",
            )
        for other, number in self._serving.items():
            if self._tickets[number].clerk_id == clerk_id:
                raise InvalidTransition(
                    "call_next", f"clerk serving {number} at counter {other}", "finish it first"
                )
        heads = [self._tickets[self._waiting[c][0]] for c in codes if self._waiting[c]]
        if not heads:
            return None
        ticket = min(heads, key=lambda t: (t.taken_at, t.order))
        not_before("at", at, ticket.taken_at, f"ticket {ticket.number} was taken")
        self._ticket_called(ticket.number, counter, clerk_id, at)
        return ticket.number

    def recall(self, ticket: str, at: datetime, *, counter: int | None = None) -> None:
        """Announce a called ticket again (at most ``MAX_RECALLS`` times)."""
        current = self._serving_ticket("recall", ticket, at, counter)
        if current.recalls >= MAX_RECALLS:
            raise InvalidTransition(
                "recall",
                f"ticket {current.number} recalled {current.recalls} times",
                f"at most {MAX_RECALLS}; mark it no-show",
            )
        self._ticket_recalled(current.number, current.counter, at)

    def mark_served(
        self,
        ticket: str,
        request_ids: Sequence[UUID],
        at: datetime,
        *,
        counter: int | None = None,
    ) -> None:
        """The called ticket was served, linked to the requests (معاملات) filed for it."""
        if isinstance(request_ids, str | bytes) or not isinstance(request_ids, Sequence):
            raise ValidationError("request_ids", "expected a list of request ids")
        if len(request_ids) > MAX_REQUESTS_PER_TICKET:
            raise ValidationError("request_ids", f"at most {MAX_REQUESTS_PER_TICKET}")
        ids = [a_uuid(f"request_ids[{i}]", r) for i, r in enumerate(request_ids)]
        if len(set(ids)) != len(ids):
            raise ValidationError("request_ids", "a request is listed twice")
        current = self._serving_ticket("mark_served", ticket, at, counter)
        self._ticket_served(current.number, current.counter, ids, at)

    def mark_no_show(self, ticket: str, at: datetime, *, counter: int | None = None) -> None:
        """The called ticket's holder did not come to the counter."""
        current = self._serving_ticket("mark_no_show", ticket, at, counter)
        self._no_show_recorded(current.number, current.counter, at)

    def close(self, at: datetime) -> None:
        """End of day: waiting tickets become not served; counters may finish whom they serve."""
        self._require_open("close")
        at = self._after_opening(at)
        waiting = [t for t in self._tickets.values() if t.status is TicketStatus.WAITING]
        for ticket in waiting:
            not_before("at", at, ticket.taken_at, f"ticket {ticket.number} was taken")
        self._closed([t.number for t in waiting], at)

    # -- events: mutate only ----------------------------------------------------------------------

    @event("TicketTaken")
    def _ticket_taken(
        self,
        ticket: str,
        category: str,
        seq: int,
        channel: Channel,
        citizen_id: UUID | None,
        at: datetime,
    ) -> None:
        self._tickets[ticket] = Ticket(
            ticket, category, seq, len(self._tickets), channel, citizen_id, at
        )
        self._issued[category] = seq
        self._waiting[category].append(ticket)

    @event("TicketCalled")
    def _ticket_called(self, ticket: str, counter: int, clerk_id: UUID, at: datetime) -> None:
        current = self._tickets[ticket]
        self._waiting[current.category].remove(ticket)
        self._serving[counter] = ticket
        self._tickets[ticket] = replace(
            current, status=TicketStatus.SERVING, called_at=at, counter=counter, clerk_id=clerk_id
        )

    @event("TicketRecalled")
    def _ticket_recalled(self, ticket: str, counter: int, at: datetime) -> None:
        current = self._tickets[ticket]
        self._tickets[ticket] = replace(current, recalls=current.recalls + 1)

    @event("TicketServed")
    def _ticket_served(
        self, ticket: str, counter: int, request_ids: list[UUID], at: datetime
    ) -> None:
        self._finish(ticket, counter, TicketStatus.SERVED, at, tuple(request_ids))

    @event("NoShowRecorded")
    def _no_show_recorded(self, ticket: str, counter: int, at: datetime) -> None:
        self._finish(ticket, counter, TicketStatus.NO_SHOW, at, ())

    def _finish(
        self, ticket: str, counter: int, status: TicketStatus, at: datetime, ids: tuple[UUID, ...]
    ) -> None:
        del self._serving[counter]
        current = self._tickets[ticket]
        self._tickets[ticket] = replace(current, status=status, finished_at=at, request_ids=ids)

    @event("Closed")
    def _closed(self, not_served: list[str], at: datetime) -> None:
        self.closed_at = at
        for number in not_served:
            current = self._tickets[number]
            self._waiting[current.category].remove(number)
            self._tickets[number] = replace(current, status=TicketStatus.NOT_SERVED, finished_at=at)

    # -- queries --------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def waiting(self, category: str) -> list[str]:
        """The tickets waiting in ``category``, first to be called first."""
        return list(self._waiting[self._category("category", category)])

    @property
    def now_serving(self) -> dict[int, str]:
        """The ticket at each counter that is serving someone."""
        return dict(sorted(self._serving.items()))

    def ticket(self, number: str) -> Ticket:
        return self._tickets[self._number("ticket", number)]

    @property
    def tickets(self) -> list[Ticket]:
        """Every ticket of the day, in the order they were taken."""
        return list(self._tickets.values())

    def counts(self) -> Counter[TicketStatus]:
        """How many tickets stand in each status."""
        return Counter(t.status for t in self._tickets.values())

    @property
    def served_count(self) -> int:
        return self.counts()[TicketStatus.SERVED]

    @property
    def no_show_count(self) -> int:
        return self.counts()[TicketStatus.NO_SHOW]

    def average_service_time(self, category: str | None = None) -> timedelta | None:
        """Mean time from call to served today, in ``category`` or overall; None without data."""
        code = None if category is None else self._category("category", category)
        spans = [
            t.finished_at - t.called_at
            for t in self._tickets.values()
            if t.finished_at and t.called_at and t.status is TicketStatus.SERVED
            if code is None or t.category == code
        ]
        return sum(spans, timedelta()) / len(spans) if spans else None

    def estimated_wait(self, category: str, now: datetime) -> timedelta:
        """How long a ticket taken ``now`` in ``category`` would wait, at today's service pace."""
        code = self._category("category", category)
        now = moment("now", now)
        known = (self.average_service_time(code), self.average_service_time())
        average = next((a for a in known if a is not None), DEFAULT_SERVICE_TIME)
        in_category = [t for t in self._tickets.values() if t.category == code]
        # Counters that have called this category today are the ones likely to serve it.
        counters = len({t.counter for t in in_category if t.counter is not None}) or 1
        total = average * len(self._waiting[code])
        for t in in_category:
            if t.status is TicketStatus.SERVING and t.called_at is not None:
                total += max(timedelta(), average - (now - t.called_at))
        return timedelta(seconds=round(total.total_seconds() / counters))

    # -- checks ---------------------------------------------------------------------------------

    def _require_open(self, command: str) -> None:
        if self.closed_at is not None:
            raise InvalidTransition(
                command, f"queue {self.centre_code} {self.day} closed", "the day has ended"
            )

    def _after_opening(self, at: object) -> datetime:
        checked = moment("at", at)
        not_before("at", checked, self.opened_at, "the queue opened")
        return checked

    def _category(self, field: str, value: object) -> str:
        if not isinstance(value, str) or value.strip() not in self.categories:
            known = ", ".join(self.categories)
            raise ValidationError(field, f"unknown category {value!r} (known: {known})")
        return value.strip()

    def _number(self, field: str, value: object) -> str:
        if not isinstance(value, str):
            raise ValidationError(field, "expected a ticket number")
        number = western_digits(value).strip().upper()
        if number not in self._tickets:
            raise ValidationError(field, f"no ticket {value!r} today")
        return number

    def _serving_ticket(self, command: str, ticket: str, at: object, counter: object) -> Ticket:
        """``ticket``, checked to be called (to ``counter`` when given) before ``at``."""
        current = self._tickets[self._number("ticket", ticket)]
        checked = moment("at", at)
        if current.status is not TicketStatus.SERVING:
            raise InvalidTransition(
                command,
                f"ticket {current.number} {current.status}",
                "only a called ticket can be finished or recalled",
            )
        if (
            counter is not None
            and whole_number("counter", counter, self.counters) != current.counter
        ):
            raise InvalidTransition(
                command,
                f"ticket {current.number} at counter {current.counter}",
                f"counter {counter} did not call it",
            )
        assert current.called_at is not None
        not_before("at", checked, current.called_at, f"ticket {current.number} was called")
        return current
