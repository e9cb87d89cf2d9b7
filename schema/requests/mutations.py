"""Mutations on requests: each runs one command and answers the request as now projected."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from khidma.core.app import Actor
from khidma.core.domain.tracking import parse_tracking_number, request_id

from ..common.commands import run
from ..common.errors import Failure, InvalidTransition, NotAllowed, NotFound, ValidationError
from .types import VIEWS, Request


@strawberry.type(description="The request after the command, as the projections show it.")
class RequestPayload:
    request: Request | None
    fee_total: int | None = None


RequestResult = Annotated[
    RequestPayload | ValidationError | InvalidTransition | NotAllowed | NotFound,
    strawberry.union("RequestResult"),
]
Key = Annotated[str, strawberry.argument(description="8-200 visible ASCII characters")]


async def _answer(info: strawberry.Info, result: dict[str, Any] | Failure) -> Any:
    if not isinstance(result, dict):
        return result
    number = result["tracking_number"]
    services = info.context.services
    stream = request_id(parse_tracking_number(number))
    await services.freshness.caught_up(VIEWS, stream)
    row = await services.store.pool.fetchrow(
        "SELECT * FROM requests WHERE tracking_number = $1", number
    )
    return RequestPayload(
        request=Request.of(row) if row is not None else None, fee_total=result.get("fee_total")
    )


def _requests(info: strawberry.Info) -> Any:
    return info.context.khidma.requests


@strawberry.type
class RequestMutations:
    @strawberry.mutation(description="File a request (portal, app, or a clerk at the counter).")
    async def submit_request(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        service_code: str,
        form: strawberry.scalars.JSON,  # type: ignore[valid-type]
        delivery: str,
        pickup_centre: str | None = None,
        post_office: str | None = None,
        home_address: str | None = None,
        national_number: str | None = None,
        channel: str | None = None,
        processing_centre: str | None = None,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).submit(
                actor, idempotency_key, service_code=service_code, form=form, delivery=delivery,
                pickup_centre=pickup_centre, post_office=post_office, home_address=home_address,
                national_number=national_number, channel=channel,
                processing_centre=processing_centre,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="The payment provider confirmed the fee (service accounts).")
    async def record_payment(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        payment_ref: str,
        provider: str,
        amount: int,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).record_payment(
                actor, idempotency_key, tracking_number,
                payment_ref=payment_ref, provider=provider, amount=amount,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def cancel_request(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str, reason: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).cancel(
                actor, idempotency_key, tracking_number, reason=reason
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="The citizen answers what the agency asked for.")
    async def provide_information(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        answer: strawberry.scalars.JSON,  # type: ignore[valid-type]
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).provide_information(
                actor, idempotency_key, tracking_number, answer=answer
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def change_pickup_centre(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str, centre: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).change_pickup_centre(
                actor, idempotency_key, tracking_number, centre=centre
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Send to the agency; direct access issues at once.")
    async def forward_request(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        document_reference: str | None = None,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).forward(
                actor, idempotency_key, tracking_number, document_reference=document_reference
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="The agency accepted, issued, or rejected (exactly one).")
    async def record_agency_answer(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        accepted_reference: str | None = None,
        document_reference: str | None = None,
        rejection_reason: str | None = None,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).record_agency_answer(
                actor, idempotency_key, tracking_number,
                accepted_reference=accepted_reference, document_reference=document_reference,
                rejection_reason=rejection_reason,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def ask_for_information(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str, what: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).ask_for_information(
                actor, idempotency_key, tracking_number, what=what
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Stamp the document with the live stamp.")
    async def certify_document(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).certify(actor, idempotency_key, tracking_number)

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def mark_ready(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).mark_ready(actor, idempotency_key, tracking_number)

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Hand over to the citizen, a first-degree relative or proxy.")
    async def hand_over(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        recipient: str,
        recipient_national_number: str,
        relation: str | None = None,
        proxy_document: str | None = None,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).hand_over(
                actor, idempotency_key, tracking_number, recipient=recipient,
                recipient_national_number=recipient_national_number, relation=relation,
                proxy_document=proxy_document,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def dispatch_by_post(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        postal_tracking: str,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).dispatch_by_post(
                actor, idempotency_key, tracking_number, postal_tracking=postal_tracking
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def record_delivery(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).record_delivery(actor, idempotency_key, tracking_number)

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def refund_request(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str, refund_ref: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).refund(
                actor, idempotency_key, tracking_number, refund_ref=refund_ref
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def expire_request(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).expire(actor, idempotency_key, tracking_number)

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def assign_clerk(
        self,
        info: strawberry.Info,
        idempotency_key: Key,
        tracking_number: str,
        clerk_id: strawberry.ID,
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            from uuid import UUID

            from khidma.core.domain.errors import ValidationError as Invalid

            try:
                clerk = UUID(str(clerk_id))
            except ValueError:
                raise Invalid("clerk_id", "expected a UUID") from None
            return await _requests(info).assign_clerk(
                actor, idempotency_key, tracking_number, clerk_id=clerk
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def add_note(
        self, info: strawberry.Info, idempotency_key: Key, tracking_number: str, text: str
    ) -> RequestResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _requests(info).add_note(
                actor, idempotency_key, tracking_number, text=text
            )

        return await _answer(info, await run(info, call))
