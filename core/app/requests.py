"""What happens to a request after it is filed: payment, the agency, the document's journey."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.domain.tracking import parse_tracking_number, request_id
from khidma.core.privacy import numbers_of

from . import lookups
from .actor import Actor
from .runner import CommandRunner, Result, Unit, as_result
from .scope import CENTRE_STAFF

Step = Callable[[Unit, ServiceRequest], Awaitable[None]]

# A clerk's action on a request needs the permission ``<agency>.<action>`` (سماحية).
AGENCY_ACTIONS = {
    "forward_request": "forward",
    "record_agency_answer": "answer",
    "ask_for_information": "answer",
    "certify_document": "certify",
    "hand_over": "hand_over",
}


class RequestCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner
        self.citizen_numbers = numbers_of(runner.store)

    async def _on_request(
        self, actor: Actor, command: str, key: str, tracking_number: str, step: Step
    ) -> Result:
        """Load the request by tracking number, check the actor's reach, run ``step``."""
        number = parse_tracking_number(tracking_number)

        async def work(unit: Unit) -> Result:
            request = await unit.get(ServiceRequest, request_id(number), "request")
            await self._check_reach(unit, actor, command, request)
            await step(unit, request)
            return as_result(
                {
                    "request_id": request.id,
                    "tracking_number": request.tracking_number,
                    "status": request.status.value,
                }
            )

        return await self.runner.run(actor, command, key, work)

    @staticmethod
    async def _check_reach(unit: Unit, actor: Actor, command: str, request: ServiceRequest) -> None:
        """Citizens reach their own requests; centre staff those their centre handles."""
        if actor.role is Role.CITIZEN and request.citizen_id != actor.id:
            raise NotAllowed(command, "this is another citizen's request")
        if actor.role in CENTRE_STAFF:
            if not actor.centre:
                raise NotAllowed(command, "staff act on requests at their own centre")
            centres = {request.origin_centre, request.pickup_centre, request.processing_centre}
            if actor.centre not in centres:
                raise NotAllowed(command, f"the request is not handled at centre {actor.centre}")
        action = AGENCY_ACTIONS.get(command)
        if action is not None:
            await lookups.require_permission(unit, actor, request.agency_code, action)

    # -- citizen and payment -------------------------------------------------------------------

    async def record_payment(
        self,
        actor: Actor,
        key: str,
        tracking_number: str,
        *,
        payment_ref: str,
        provider: str,
        amount: int,
    ) -> Result:
        """The payment provider confirmed the fee (from its signed callback)."""

        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.record_payment(
                payment_ref=payment_ref,
                provider=provider,
                amount=amount,
                on=lookups.today(unit.at),
                calendar=await lookups.calendar(unit),
                at=unit.at,
            )

        return await self._on_request(actor, "record_payment", key, tracking_number, step)

    async def cancel(self, actor: Actor, key: str, tracking_number: str, *, reason: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.cancel(reason=reason, by=actor.id, at=unit.at)

        return await self._on_request(actor, "cancel_request", key, tracking_number, step)

    async def provide_information(
        self, actor: Actor, key: str, tracking_number: str, *, answer: Mapping[str, Any]
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            if not isinstance(answer, Mapping) or not answer:
                raise ValidationError("answer", "expected the information asked for")
            service = (await lookups.catalog(unit)).service(request.service_code)
            on = lookups.today(unit.at)
            merged = service.form.validate({**request.form, **answer}, today=on, field="answer")
            request.provide_information(
                answer={k: v for k, v in merged.items() if k in answer},
                on=lookups.today(unit.at),
                calendar=await lookups.calendar(unit),
                at=unit.at,
            )

        return await self._on_request(actor, "provide_information", key, tracking_number, step)

    async def change_pickup_centre(
        self, actor: Actor, key: str, tracking_number: str, *, centre: str
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            await lookups.centre(unit, centre)
            request.change_pickup_centre(centre=centre, by=actor.id, at=unit.at)

        return await self._on_request(actor, "change_pickup_centre", key, tracking_number, step)

    async def refund(
        self, actor: Actor, key: str, tracking_number: str, *, refund_ref: str
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.record_refund(refund_ref=refund_ref, at=unit.at)

        return await self._on_request(actor, "refund_request", key, tracking_number, step)

    # -- the agency ----------------------------------------------------------------------------

    async def forward(
        self, actor: Actor, key: str, tracking_number: str, *, document_reference: str | None = None
    ) -> Result:
        """Send to the agency; with direct access the clerk issues at once (the reference)."""

        async def step(unit: Unit, request: ServiceRequest) -> None:
            if document_reference is not None and not request.direct_access:
                raise ValidationError(
                    "document_reference", "only direct-access agencies issue at once"
                )
            request.send_to_agency(by=actor.id, at=unit.at)
            if document_reference is not None:
                await lookups.require_permission(unit, actor, request.agency_code, "issue")
                request.issue(document_reference=document_reference, at=unit.at)

        return await self._on_request(actor, "forward_request", key, tracking_number, step)

    async def record_agency_answer(
        self,
        actor: Actor,
        key: str,
        tracking_number: str,
        *,
        accepted_reference: str | None = None,
        document_reference: str | None = None,
        rejection_reason: str | None = None,
    ) -> Result:
        """The agency's answer: accepted (its reference), issued (the document) or rejected."""
        given = [x for x in (accepted_reference, document_reference, rejection_reason) if x]
        if len(given) != 1:
            raise ValidationError(
                "answer", "exactly one of accepted_reference, document_reference, rejection_reason"
            )

        async def step(unit: Unit, request: ServiceRequest) -> None:
            if accepted_reference:
                request.accept_at_agency(agency_reference=accepted_reference, at=unit.at)
            elif document_reference:
                request.issue(document_reference=document_reference, at=unit.at)
            else:
                assert rejection_reason is not None
                request.reject(reason=rejection_reason, at=unit.at)

        return await self._on_request(actor, "record_agency_answer", key, tracking_number, step)

    async def ask_for_information(
        self, actor: Actor, key: str, tracking_number: str, *, what: str
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.ask_for_information(
                what=what,
                on=lookups.today(unit.at),
                calendar=await lookups.calendar(unit),
                at=unit.at,
            )

        return await self._on_request(actor, "ask_for_information", key, tracking_number, step)

    # -- the document --------------------------------------------------------------------------

    async def certify(self, actor: Actor, key: str, tracking_number: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.certify(clerk_id=actor.id, centre=_centre_of(actor), at=unit.at)

        return await self._on_request(actor, "certify_document", key, tracking_number, step)

    async def mark_ready(self, actor: Actor, key: str, tracking_number: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.mark_ready(clerk_id=actor.id, on=lookups.today(unit.at), at=unit.at)

        return await self._on_request(actor, "mark_ready", key, tracking_number, step)

    async def hand_over(
        self,
        actor: Actor,
        key: str,
        tracking_number: str,
        *,
        recipient: str,
        recipient_national_number: str,
        relation: str | None = None,
        proxy_document: str | None = None,
    ) -> Result:
        """Hand the document to the citizen, a first-degree relative or a proxy, as allowed."""

        async def step(unit: Unit, request: ServiceRequest) -> None:
            # The recipient's id if they have an account (the citizen who filed always has).
            recipient_id = await self.citizen_numbers.find(
                recipient_national_number, "recipient_national_number"
            )
            request.hand_over(
                recipient=recipient,
                recipient_citizen_id=recipient_id,
                recipient_national_number=recipient_national_number,
                relation=relation,
                proxy_document=proxy_document,
                clerk_id=actor.id,
                centre=_centre_of(actor),
                at=unit.at,
            )

        return await self._on_request(actor, "hand_over", key, tracking_number, step)

    async def dispatch_by_post(
        self, actor: Actor, key: str, tracking_number: str, *, postal_tracking: str
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.dispatch_by_post(postal_tracking=postal_tracking, clerk_id=actor.id, at=unit.at)

        return await self._on_request(actor, "dispatch_by_post", key, tracking_number, step)

    async def record_delivery(self, actor: Actor, key: str, tracking_number: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.record_delivery(at=unit.at)

        return await self._on_request(actor, "record_delivery", key, tracking_number, step)

    async def expire(self, actor: Actor, key: str, tracking_number: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.expire(on=lookups.today(unit.at), at=unit.at)

        return await self._on_request(actor, "expire_request", key, tracking_number, step)

    async def assign_clerk(
        self, actor: Actor, key: str, tracking_number: str, *, clerk_id: UUID
    ) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            clerk = await unit.read_or_none(Staff, clerk_id)
            if clerk is None or clerk.role is not Role.CLERK or not clerk.active:
                raise ValidationError("clerk_id", "no active clerk with this id")
            centres = {request.origin_centre, request.pickup_centre, request.processing_centre}
            if clerk.centre_code not in centres:
                raise ValidationError("clerk_id", f"the clerk works at {clerk.centre_code}")
            request.assign_clerk(clerk_id=clerk_id, at=unit.at)

        return await self._on_request(actor, "assign_clerk", key, tracking_number, step)

    async def add_note(self, actor: Actor, key: str, tracking_number: str, *, text: str) -> Result:
        async def step(unit: Unit, request: ServiceRequest) -> None:
            request.add_note(text=text, by=actor.id, at=unit.at)

        return await self._on_request(actor, "add_note", key, tracking_number, step)


def _centre_of(actor: Actor) -> str:
    if not actor.centre:
        raise NotAllowed("act on a document", "only staff at a centre handle documents")
    return actor.centre
