"""Filing a request: the citizen's profile prefills the form, the catalog fixes the fee."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from khidma.core.domain.catalog import Catalog, Delivery, Handling, Service
from khidma.core.domain.centre import Centre
from khidma.core.domain.citizen import Citizen, parse_national_number
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.domain.text import choice
from khidma.core.domain.tracking import format_tracking_number
from khidma.core.privacy import numbers_of

from . import lookups
from .actor import Actor
from .runner import CommandRunner, NotFound, Result, Unit, as_result

log = logging.getLogger(__name__)

_RESERVE = (
    "INSERT INTO request_numbers (prefix, year, last) VALUES ($1, $2, $3)"
    " ON CONFLICT (prefix, year) DO UPDATE SET last = request_numbers.last + $3 RETURNING last"
)


class TrackingNumbers:
    """Hands out each governorate's numbers for the year from blocks reserved in the database.

    One short UPDATE reserves ``BLOCK`` numbers for this process, so concurrent submissions do
    not queue on one row lock; the next block is reserved while half of the current one is
    left, so a submission rarely waits for that round trip (and its commit) at all. Numbers are
    unique, not gap-free: a process that stops, or a command that fails, leaves some unused.
    """

    BLOCK = 50

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._free: dict[tuple[str, int], deque[list[int]]] = {}  # [next, last] ranges
        self._reserving: dict[tuple[str, int], asyncio.Task[None]] = {}

    async def next(self, governorate: str, year: int) -> str:
        key = (governorate, year)
        ranges = self._free.setdefault(key, deque())
        while not ranges:
            # Shielded: a caller that gives up must not cancel the others' reservation.
            await asyncio.shield(self._reserve(key))
        block = ranges[0]
        number = block[0]
        block[0] += 1
        if block[0] > block[1]:
            ranges.popleft()
        # Fewer than half a block left (numbers are drawn from the first range only, so a
        # second range is a whole block and there are enough).
        if len(ranges) < 2 and (not ranges or ranges[0][1] - ranges[0][0] + 1 < self.BLOCK // 2):
            self._reserve(key)
        return format_tracking_number(governorate, year, number)

    def _reserve(self, key: tuple[str, int]) -> asyncio.Task[None]:
        """The reservation of the next block for ``key`` (started if none is under way)."""
        task = self._reserving.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(key))
            self._reserving[key] = task
            task.add_done_callback(lambda done: self._reserved(key, done))
        return task

    def _reserved(self, key: tuple[str, int], task: asyncio.Task[None]) -> None:
        self._reserving.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Whoever awaited it has the error; a reservation ahead of need is tried again.
            log.warning("reserving tracking numbers for %s failed: %s", key, task.exception())

    async def _fetch(self, key: tuple[str, int]) -> None:
        last = await self._pool.fetchval(_RESERVE, key[0], key[1], self.BLOCK)
        self._free[key].append([last - self.BLOCK + 1, last])


class Submission:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner
        self.citizen_numbers = numbers_of(runner.store)
        self.numbers = TrackingNumbers(runner.store.pool)

    async def submit(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        service_code: str,
        form: Mapping[str, Any],
        delivery: str,
        pickup_centre: str | None = None,
        post_office: str | None = None,
        home_address: str | None = None,
        national_number: str | None = None,
        channel: str | None = None,
        processing_centre: str | None = None,
    ) -> Result:
        """File a request for a citizen: on the portal or app themself, or at a clerk's counter.

        Returns ``request_id``, ``tracking_number``, ``status`` and the fee.
        """

        async def work(unit: Unit) -> Result:
            citizen_id = await self._citizen_id(actor, national_number)
            await unit.prefetch(*self._needed(actor, citizen_id, pickup_centre, processing_centre))
            citizen = await unit.read(Citizen, citizen_id, "citizen")
            via = self._channel(actor, channel)
            if not isinstance(form, Mapping):
                raise ValidationError("form", "expected the form's fields")
            catalog = await lookups.catalog(unit)
            service = self._service(catalog, service_code)
            how = choice("delivery", Delivery, delivery)
            if how not in service.delivery:
                options = ", ".join(sorted(d.value for d in service.delivery))
                raise ValidationError("delivery", f"{service.code} is delivered by: {options}")
            origin = None
            if via is Channel.COUNTER:
                origin = await self._counter(unit, actor, service)
            pickup = await self._code(unit, pickup_centre, "pickup_centre")
            if how is Delivery.PICKUP and pickup is None:
                raise ValidationError("pickup_centre", "required for pickup at a centre")
            # Checked here too, so that a refused request does not use up a tracking number.
            if how is Delivery.POST_OFFICE and not (post_office or "").strip():
                raise ValidationError("post_office", "required for delivery to a post office")
            if how is Delivery.HOME and not (home_address or "").strip():
                raise ValidationError("home_address", "required for delivery to the home")
            given = await self._code(unit, processing_centre, "processing_centre")
            processing = origin or pickup or given
            if processing is None:
                raise ValidationError(
                    "processing_centre", "required for requests by post from the portal or the app"
                )
            governorate = (await lookups.centre(unit, processing)).governorate.value
            on = lookups.today(unit.at)
            asked = service.form.names
            prefilled = citizen.prefill(asked)
            data = service.form.validate({**prefilled, **dict(form)}, today=on)
            number = await self.numbers.next(governorate, on.year)
            calendar = await lookups.calendar(unit)
            request = unit.add(
                ServiceRequest.submit(
                    tracking_number=number,
                    citizen_id=citizen.id,
                    service_code=service.code,
                    agency_code=service.agency,
                    direct_access=service.handling is Handling.DIRECT,
                    channel=via,
                    origin_centre=origin,
                    form=data,
                    delivery=how,
                    pickup_centre=pickup,
                    post_office=post_office,
                    home_address=home_address,
                    processing_centre=processing,
                    collectors=sorted(service.collectors),
                    turnaround_days=service.turnaround_days,
                    clock_rule=service.clock_rule,
                    validity_days=service.validity_days,
                    at=unit.at,
                )
            )
            fee = catalog.assess_fee(service.code, governorate, on)
            request.assess_fee(
                agency_fee=fee.agency_fee,
                surcharge=fee.surcharge,
                decision_ref=fee.decision_ref,
                on=on,
                calendar=calendar,
                at=unit.at,
            )
            return as_result(
                {
                    "request_id": request.id,
                    "tracking_number": request.tracking_number,
                    "status": request.status.value,
                    "fee_total": fee.total,
                }
            )

        return await self.runner.run(actor, "submit_request", idempotency_key, work)

    @staticmethod
    def _needed(actor: Actor, citizen_id: UUID, *centres: str | None) -> list[UUID]:
        """The aggregates a submission reads, to load them in one round trip (best effort:
        anything malformed is left to the checks that name the field)."""
        # The actor: the citizen themself, or the clerk's staff record.
        ids = [lookups.CATALOG_ID, lookups.CALENDAR_ID, actor.id, citizen_id]
        for code in (actor.centre, *centres):
            if code:
                with contextlib.suppress(ValidationError):
                    ids.append(Centre.id_for(code))
        return ids

    async def _citizen_id(self, actor: Actor, national_number: str | None) -> UUID:
        """The citizen the request is filed for: the actor, or the one a clerk names."""
        if actor.role is Role.CITIZEN:
            if (
                national_number is not None
                and await self.citizen_numbers.find(national_number) != actor.id
            ):
                raise NotAllowed("submit_request", "citizens file requests for themselves")
            return actor.id
        if national_number is None:
            raise ValidationError("national_number", "required when filing for a citizen")
        number = parse_national_number(national_number)
        found = await self.citizen_numbers.find(number)
        if found is None:
            raise NotFound("citizen", number)
        return found

    @staticmethod
    def _channel(actor: Actor, channel: str | None) -> Channel:
        if actor.role is not Role.CITIZEN:
            if not actor.centre:
                raise NotAllowed("submit_request", "staff file requests at their centre")
            return Channel.COUNTER
        via = choice("channel", Channel, channel or actor.channel or Channel.PORTAL)
        if via is Channel.COUNTER:
            raise ValidationError("channel", "citizens file on the portal or the app")
        return via

    @staticmethod
    def _service(catalog: Catalog, code: str) -> Service:
        try:
            service = catalog.service(code)
        except ValidationError as error:
            raise ValidationError("service_code", error.message) from None
        if service.withdrawn:
            raise ValidationError("service_code", f"{service.code} is no longer offered")
        return service

    @staticmethod
    async def _counter(unit: Unit, actor: Actor, service: Service) -> str:
        """The clerk's centre, which must offer the service; a clerk files for their agency."""
        assert actor.centre is not None
        centre = await lookups.centre(unit, actor.centre, "origin_centre")
        if not centre.offers(service.code):
            raise ValidationError("service_code", f"centre {centre.code} does not offer it")
        if actor.role is Role.CLERK:
            clerk = await unit.read_or_none(Staff, actor.id)
            if clerk is None or clerk.agency_code != service.agency:
                raise NotAllowed("submit_request", f"the clerk does not serve {service.agency}")
        return centre.code

    @staticmethod
    async def _code(unit: Unit, code: str | None, field: str) -> str | None:
        """A centre the request names, which must exist, as its canonical code."""
        if code is None or not code.strip():
            return None
        return (await lookups.centre(unit, code, field)).code
