"""Commands of khidma's dispatcher, and the supervisor's retry of what it parked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from khidma.core.domain.dispatch import Dispatch, NotificationKind
from khidma.core.domain.errors import NotAllowed
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import parse_tracking_number, request_id

from . import lookups
from .actor import Actor
from .runner import CommandRunner, Result, Unit, as_result
from .scope import CENTRE_STAFF

Step = Callable[[Unit, ServiceRequest, Dispatch], Awaitable[dict[str, Any] | None]]


class DispatchCommands:
    """Written by the dispatcher (the SYSTEM role) but for ``retry``, a supervisor's."""

    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def _on_dispatch(
        self, actor: Actor, command: str, key: str, tracking_number: str, step: Step
    ) -> Result:
        number = parse_tracking_number(tracking_number)

        async def work(unit: Unit) -> Result:
            request = await unit.get(ServiceRequest, request_id(number), "request")
            if actor.role in CENTRE_STAFF:
                centres = {request.origin_centre, request.pickup_centre, request.processing_centre}
                if actor.centre not in centres:
                    raise NotAllowed(
                        command, f"the request is not handled at centre {actor.centre}"
                    )
            dispatch = await unit.find(Dispatch, Dispatch.id_for(number))
            if dispatch is None:
                dispatch = unit.add(Dispatch.open(number, at=unit.at))
            extra = await step(unit, request, dispatch)
            return as_result(
                {
                    "tracking_number": number,
                    "status": request.status.value,
                    "parked": sorted(dispatch.parked),
                    **(extra or {}),
                }
            )

        return await self.runner.run(actor, command, key, work)

    async def park(
        self, actor: Actor, key: str, tracking_number: str, *, step: str, error: str, attempts: int
    ) -> Result:
        """``DispatchFailed``: the step failed ``attempts`` times; a supervisor decides."""

        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> None:
            dispatch.park(step=step, error=error, attempts=attempts, at=unit.at)

        return await self._on_dispatch(actor, "park_dispatch", key, tracking_number, work)

    async def retry(self, actor: Actor, key: str, tracking_number: str, *, step: str) -> Result:
        """A supervisor sends a parked step back to the dispatcher (``DispatchRetried``)."""

        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> None:
            dispatch.retry(step=step, by=actor.id, at=unit.at)

        return await self._on_dispatch(actor, "retry_dispatch", key, tracking_number, work)

    async def fall_back(
        self, actor: Actor, key: str, tracking_number: str, *, extra_days: int
    ) -> Result:
        """The direct-access agency is down: promise a date ``extra_days`` working days on."""

        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> dict[str, date]:
            calendar = await lookups.calendar(unit)
            promised = calendar.add_working_days(lookups.today(unit.at), extra_days)
            dispatch.fall_back(agency=request.agency_code, promised_on=promised, at=unit.at)
            return {"promised_on": promised}

        return await self._on_dispatch(
            actor, "fall_back_to_reply_later", key, tracking_number, work
        )

    async def resume_direct(self, actor: Actor, key: str, tracking_number: str) -> Result:
        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> None:
            dispatch.resume_direct(at=unit.at)

        return await self._on_dispatch(actor, "resume_direct_handling", key, tracking_number, work)

    async def start_payment(
        self,
        actor: Actor,
        key: str,
        tracking_number: str,
        *,
        provider: str,
        payment_ref: str,
        page_url: str,
        amount: int,
    ) -> Result:
        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> None:
            dispatch.start_payment(
                provider=provider,
                payment_ref=payment_ref,
                page_url=page_url,
                amount=amount,
                at=unit.at,
            )

        return await self._on_dispatch(actor, "start_payment", key, tracking_number, work)

    async def record_notification(
        self,
        actor: Actor,
        key: str,
        tracking_number: str,
        *,
        kind: NotificationKind | str,
        channel: str,
        language: str,
        receipt: str | None = None,
        error: str | None = None,
    ) -> Result:
        """``NotificationSent`` with the channel's receipt, or ``NotificationFailed``."""

        async def work(unit: Unit, request: ServiceRequest, dispatch: Dispatch) -> None:
            dispatch.record_notification(
                kind=kind,
                channel=channel,
                language=language,
                receipt=receipt,
                error=error,
                at=unit.at,
            )

        return await self._on_dispatch(actor, "record_notification", key, tracking_number, work)
