"""Filing a request: the citizen's profile prefills the form, the catalog fixes the fee."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from khidma.core.domain.catalog import Delivery, Handling
from khidma.core.domain.citizen import Citizen, parse_national_number
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.governorate import Governorate
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.text import choice
from khidma.core.domain.tracking import format_tracking_number

from . import lookups
from .actor import Actor
from .runner import CommandRunner, NotFound, Result, Unit, as_result

_NEXT_NUMBER = (
    "INSERT INTO request_numbers (prefix, year, last) VALUES ($1, $2, 1)"
    " ON CONFLICT (prefix, year) DO UPDATE SET last = request_numbers.last + 1 RETURNING last"
)


async def next_tracking_number(pool: asyncpg.Pool, governorate: str, year: int) -> str:
    """The governorate's next number for the year (numbers of failed commands are skipped)."""
    return format_tracking_number(
        governorate, year, await pool.fetchval(_NEXT_NUMBER, governorate, year)
    )


class Submission:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

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
    ) -> Result:
        """File a request for a citizen: on the portal or app themself, or at a clerk's counter.

        Returns ``request_id``, ``tracking_number``, ``status`` and the fee.
        """

        async def work(unit: Unit) -> Result:
            citizen = await self._citizen(unit, actor, national_number)
            via = self._channel(actor, channel)
            catalog = await lookups.catalog(unit)
            service = catalog.service(service_code)
            if service.withdrawn:
                raise ValidationError("service_code", f"{service_code} is no longer offered")
            how = choice("delivery", Delivery, delivery)
            if how not in service.delivery:
                options = ", ".join(sorted(d.value for d in service.delivery))
                raise ValidationError("delivery", f"{service_code} is delivered by: {options}")
            origin = actor.centre if via is Channel.COUNTER else None
            processing = origin or (pickup_centre if how is Delivery.PICKUP else None)
            governorate = await self._governorate(unit, processing, citizen, origin, pickup_centre)
            if origin is not None:
                offering = await lookups.centre(unit, origin, "origin_centre")
                if not offering.offers(service.code):
                    raise ValidationError("service_code", f"centre {origin} does not offer it")
            on = lookups.today(unit.at)
            prefilled = {k: v for k, v in citizen.prefill().items() if k in service.form.names}
            data = service.form.validate({**prefilled, **dict(form)}, today=on)
            number = await next_tracking_number(self.runner.store.pool, governorate, on.year)
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
                    pickup_centre=pickup_centre,
                    post_office=post_office,
                    home_address=home_address,
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
    async def _citizen(unit: Unit, actor: Actor, national_number: str | None) -> Citizen:
        if actor.role is Role.CITIZEN:
            if national_number is not None and Citizen.id_for(national_number) != actor.id:
                raise NotAllowed("submit_request", "citizens file requests for themselves")
            return await unit.get(Citizen, actor.id, "citizen")
        if national_number is None:
            raise ValidationError("national_number", "required when filing for a citizen")
        number = parse_national_number(national_number)
        found = await unit.find(Citizen, Citizen.id_for(number))
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
    async def _governorate(
        unit: Unit, processing: str | None, citizen: Citizen, origin: str | None, pickup: str | None
    ) -> str:
        """Where the request is handled: its fee decisions and its tracking number's prefix."""
        if processing is not None:
            field = "origin_centre" if processing == origin else "pickup_centre"
            return (await lookups.centre(unit, processing, field)).governorate.value
        if pickup is not None:
            await lookups.centre(unit, pickup, "pickup_centre")
        if citizen.address_governorate is not None:
            return Governorate(citizen.address_governorate).value
        return Governorate.DAMASCUS.value
