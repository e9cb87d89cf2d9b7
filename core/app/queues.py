"""The queue (نظام دور) of a centre's day: opening it, tickets, counters calling and serving."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from uuid import UUID

from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import OperatingStatus
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.queue import Queue
from khidma.core.domain.queue_tickets import Channel
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import parse_tracking_number, request_id

from . import lookups
from .actor import Actor
from .runner import CommandRunner, NotFound, Result, Unit, as_result
from .scope import centre_of

# The day's service categories: code → (ticket prefix, name in Arabic, name in English).
CATEGORIES: dict[str, tuple[str, str, str]] = {
    "civil": ("C", "الأحوال المدنية", "Civil registry"),
    "justice": ("J", "العدل", "Justice"),
    "real_estate": ("R", "المصالح العقارية", "Real estate"),
    "finance": ("F", "المالية", "Finance"),
    "council": ("M", "مجلس المدينة", "City council"),
    "utilities": ("U", "المرافق العامة", "Utilities"),
    "general": ("G", "خدمات عامة", "General services"),
}
# The category whose tickets an agency's clerks call; agencies not listed are "general".
AGENCY_CATEGORY: dict[str, str] = {
    "civil_registry": "civil",
    "justice": "justice",
    "real_estate": "real_estate",
    "finance": "finance",
    "city_council": "council",
    "utilities": "utilities",
    "state_employees": "general",
}
DEFAULT_CATEGORY = "general"

Step = Callable[[Unit, Queue], Awaitable[Result]]


def category_for(agency_code: str | None) -> str:
    """The queue category an agency's clerks serve."""
    return AGENCY_CATEGORY.get(agency_code or "", DEFAULT_CATEGORY)


def categories_for(agencies: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """The categories a queue needs for these agencies, in CATEGORIES' order."""
    wanted = {category_for(a) for a in agencies} or {DEFAULT_CATEGORY}
    return [(code, *CATEGORIES[code]) for code in CATEGORIES if code in wanted]


class QueueCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def open_queue(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        centre: str | None = None,
        day: date | None = None,
        categories: Sequence[tuple[str, str, str, str]] | None = None,
        counters: int | None = None,
    ) -> Result:
        """Open a centre's queue for a day (today in Syria unless given).

        ``categories`` default to those of the agencies of the services the centre offers,
        ``counters`` to the centre's number of front offices.
        """

        async def work(unit: Unit) -> Result:
            code = centre_of(actor, "open_queue", centre)
            on = _day(unit, day)
            if on < lookups.today(unit.at):
                raise ValidationError("day", f"{on.isoformat()} has passed")
            place = await lookups.centre(unit, code)
            if place.status is OperatingStatus.CLOSED:
                why = place.status_reason or ""
                raise InvalidTransition("open_queue", f"centre {code} closed", why)
            if await unit.find(Queue, Queue.id_for(code, on)) is not None:
                raise InvalidTransition("open_queue", f"queue {code} {on.isoformat()} opened")
            chosen = categories
            if chosen is None:
                chosen = categories_for(await _agencies(unit, place.services))
            desks = place.counters if counters is None else counters
            return _queue(unit.add(Queue.open(code, on, chosen, desks, unit.at)))

        return await self.runner.run(actor, "open_queue", idempotency_key, work)

    async def take_ticket(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        category: str,
        centre: str | None = None,
        day: date | None = None,
        citizen_id: UUID | None = None,
    ) -> Result:
        """A ticket from the centre's kiosk (for anyone; ``citizen_id`` if they scan a card), or
        in the app for the citizen signed in. Returns the number and how many wait ahead."""

        def check() -> None:
            if actor.role is Role.CITIZEN:
                if citizen_id is not None and citizen_id != actor.id:
                    raise NotAllowed("take_ticket", "citizens take tickets for themselves")
                if centre is None:
                    raise ValidationError("centre", "required")

        async def step(unit: Unit, queue: Queue) -> Result:
            if actor.role is Role.CITIZEN:
                channel, holder = Channel.APP, actor.id
            else:
                channel, holder = Channel.KIOSK, citizen_id
            # The wait of a ticket taken now: estimated before it joins the line.
            wait = queue.estimated_wait(category, unit.at) if queue.is_open else timedelta()
            number = queue.take_ticket(category, unit.at, channel=channel, citizen_id=holder)
            ticket = queue.ticket(number)
            return {
                **_queue(queue),
                "ticket": number,
                "category": ticket.category,
                "ahead": len(queue.waiting(ticket.category)) - 1,
                "estimated_wait_minutes": round(wait.total_seconds() / 60),
            }

        return await self._on_queue(actor, "take_ticket", idempotency_key, centre, day, step, check)

    async def call_next(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        counter: int,
        categories: Sequence[str] | None = None,
        day: date | None = None,
    ) -> Result:
        """Call the next ticket to the actor's counter; ``ticket`` is None if no one waits.

        A clerk calls their agency's category unless told; a supervisor any category.
        """

        async def step(unit: Unit, queue: Queue) -> Result:
            chosen = categories
            if chosen is None:
                if actor.role is Role.CLERK:
                    chosen = [category_for(actor.agency)]
                else:
                    chosen = list(queue.categories)
            number = queue.call_next(counter, actor.id, chosen, unit.at)
            return {**_queue(queue), "ticket": number, "counter": counter}

        return await self._on_queue(actor, "call_next", idempotency_key, None, day, step)

    async def mark_served(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        ticket: str,
        tracking_numbers: Sequence[str] = (),
        counter: int | None = None,
        day: date | None = None,
    ) -> Result:
        """The called ticket was served; links the requests filed for it (by tracking number)."""
        numbers: list[str] = []

        def check() -> None:
            _require_counter(actor, counter)
            if isinstance(tracking_numbers, str) or not isinstance(tracking_numbers, Sequence):
                raise ValidationError("tracking_numbers", "expected a list of tracking numbers")
            numbers[:] = [
                parse_tracking_number(n, f"tracking_numbers[{i}]")
                for i, n in enumerate(tracking_numbers)
            ]

        async def step(unit: Unit, queue: Queue) -> Result:
            ids = []
            for i, number in enumerate(numbers):
                if await unit.find(ServiceRequest, request_id(number)) is None:
                    raise ValidationError(f"tracking_numbers[{i}]", f"no request {number}")
                ids.append(request_id(number))
            queue.mark_served(ticket, ids, unit.at, counter=counter)
            return _ticket(queue, ticket)

        return await self._on_queue(actor, "mark_served", idempotency_key, None, day, step, check)

    async def mark_no_show(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        ticket: str,
        counter: int | None = None,
        day: date | None = None,
    ) -> Result:
        """The called ticket's holder did not come to the counter."""

        async def step(unit: Unit, queue: Queue) -> Result:
            queue.mark_no_show(ticket, unit.at, counter=counter)
            return _ticket(queue, ticket)

        return await self._on_queue(
            actor,
            "mark_no_show",
            idempotency_key,
            None,
            day,
            step,
            lambda: _require_counter(actor, counter),
        )

    async def close_queue(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        centre: str | None = None,
        day: date | None = None,
    ) -> Result:
        """End the day: tickets still waiting are not served."""

        async def step(unit: Unit, queue: Queue) -> Result:
            queue.close(unit.at)
            counts = queue.counts()
            return {**_queue(queue), **{status.value: n for status, n in counts.items()}}

        return await self._on_queue(actor, "close_queue", idempotency_key, centre, day, step)

    async def _on_queue(
        self,
        actor: Actor,
        command: str,
        key: str,
        centre: str | None,
        day: date | None,
        step: Step,
        check: Callable[[], None] | None = None,
    ) -> Result:
        """Check the input, load the centre's queue of the day (the actor's own centre unless
        given, and only theirs for centre staff), then run ``step`` on it."""

        async def work(unit: Unit) -> Result:
            if check is not None:
                check()
            code = centre_of(actor, command, centre)
            on = _day(unit, day)
            queue = await unit.find(Queue, Queue.id_for(code, on))
            if queue is None:
                raise NotFound("queue", f"{code} {on.isoformat()}")
            return await step(unit, queue)

        return await self.runner.run(actor, command, key, work)


def _day(unit: Unit, day: date | None) -> date:
    """The queue's day: today in Syria unless given."""
    if day is None:
        return lookups.today(unit.at)
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationError("day", "expected a date")
    return day


def _require_counter(actor: Actor, counter: int | None) -> None:
    """Clerks finish tickets only at their own counter, so they must say which one it is."""
    if counter is None and actor.role is Role.CLERK:
        raise ValidationError("counter", "required")


async def _agencies(unit: Unit, services: Sequence[str]) -> list[str]:
    """The agencies of the services a centre offers (general services if none are known)."""
    catalog = await unit.find(Catalog, Catalog.id_for(lookups.CATALOG))
    if catalog is None:
        return []
    offered = [catalog.services[s] for s in services if s in catalog.services]
    return [s.agency for s in offered if not s.withdrawn]


def _queue(queue: Queue) -> Result:
    return as_result(
        {"queue_id": queue.id, "centre": queue.centre_code, "day": queue.day.isoformat()}
    )


def _ticket(queue: Queue, number: str) -> Result:
    ticket = queue.ticket(number)
    return {
        **_queue(queue),
        "ticket": ticket.number,
        "status": ticket.status.value,
        "request_ids": [str(r) for r in ticket.request_ids],
    }
