"""The dispatcher's steps, each decided by the request's current state, so that running one
again (a retry, a duplicate callback, a restart after a crash) does nothing twice.

Every outside call carries an idempotency key per request and step; every outcome is recorded
by a command whose idempotency key follows from the request's version, so a re-run either
finds the state already moved on or gets the first run's result back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from khidma.core.app import Actor, Khidma
from khidma.core.config import Settings
from khidma.core.domain.catalog import Delivery
from khidma.core.domain.dispatch import Dispatch, NotificationKind
from khidma.core.domain.errors import DomainError
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role

from ..connectors import Connectors
from ..types import (
    AgencyAnswer,
    AgencySubmission,
    ConnectorError,
    Outcome,
    Parcel,
    PaymentOrder,
    PaymentState,
    PaymentStatus,
    RefundOrder,
)
from .notify import Notifier
from .policy import Backoff, CircuitBreaker, Failed

log = logging.getLogger(__name__)
T = TypeVar("T")
DISPATCHER = Actor(uuid.uuid5(uuid.NAMESPACE_URL, "khidma:worker:dispatcher"), Role.SYSTEM)
S = Status


class Steps:
    def __init__(self, khidma: Khidma, connectors: Connectors, settings: Settings) -> None:
        self.khidma = khidma
        self.requests = khidma.requests
        self.outbox = khidma.outbox
        self.connectors = connectors
        self.settings = settings
        self.actor = DISPATCHER
        self.backoff = Backoff(settings.dispatch_backoff, settings.dispatch_max_backoff)
        self.breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown)
        self.notifier = Notifier(self)

    # -- calling out ---------------------------------------------------------------------

    async def call(
        self, system: str, action: Callable[[], Awaitable[T]], *, fail_fast: bool = False
    ) -> T:
        """Call ``system`` with retries, backoff and the breaker; Failed when it gives up.

        While the system's circuit is open an attempt waits for the trial call, unless
        ``fail_fast`` (a direct-access agency: its request falls back to reply-later at once).
        """
        attempts = self.settings.dispatch_attempts
        last = "no attempt"
        for attempt in range(1, attempts + 1):
            if not self.breaker.allow(system):
                if fail_fast:
                    raise Failed(
                        system, f"circuit open after: {last}", attempt - 1, circuit_open=True
                    )
                await asyncio.sleep(self.breaker.remaining(system))
                if not self.breaker.allow(system):
                    last = "circuit open"
                    continue
            try:
                result = await action()
            except ConnectorError as error:
                last = str(error)
                if not error.transient:
                    raise Failed(system, last, attempt, refused=True) from error
                self.breaker.failure(system)
                log.info("%s: attempt %d/%d failed: %s", system, attempt, attempts, error)
            else:
                self.breaker.success(system)
                return result
            if attempt < attempts:
                await asyncio.sleep(self.backoff.delay(attempt))
        raise Failed(system, last, attempts)

    def key(self, request: ServiceRequest, step: str) -> str:
        """A command's idempotency key: the step and the request's version it acted on."""
        return f"dispatch:{request.tracking_number}:{step}:{request.version}"

    async def park(self, number: str, step: str, failed: Failed) -> None:
        log.warning("%s: %s parked: %s", number, step, failed)
        dispatch = await self.outbox.dispatch(number)
        if dispatch is not None and step in dispatch.parked:
            return
        await self.khidma.dispatch.park(
            self.actor,
            f"park:{number}:{step}:{(dispatch.version if dispatch else 0)}",
            number,
            step=step,
            error=str(failed),
            attempts=max(1, failed.attempts),
        )

    async def parked(self, number: str, step: str) -> bool:
        dispatch = await self.outbox.dispatch(number)
        return dispatch is not None and step in dispatch.parked

    # -- payment -------------------------------------------------------------------------

    async def open_payment(self, number: str) -> None:
        """A fee is due: open a payment with the provider and send the citizen its page."""
        request = await self.outbox.request(number)
        if request is None or request.status is not S.AWAITING_PAYMENT:
            return
        if await self.parked(number, "payment"):
            return
        dispatch = await self.outbox.dispatch(number)
        if dispatch is None or dispatch.payment is None:
            assert request.fee is not None
            order = PaymentOrder(
                tracking_number=number,
                amount=request.fee["total"],
                idempotency_key=f"{number}:payment",
                callback_url=f"{self.settings.callback_base}/payments/{self.connectors.provider}",
            )
            try:
                page = await self.call("payments", lambda: self.connectors.create_payment(order))
            except Failed as failed:
                await self.park(number, "payment", failed)
                return
            await self.khidma.dispatch.start_payment(
                self.actor,
                f"payment-started:{number}:{page.payment_ref}",
                number,
                provider=self.connectors.provider,
                payment_ref=page.payment_ref,
                page_url=page.page_url,
                amount=order.amount,
            )

    async def record_paid(self, status: PaymentStatus, provider: str) -> bool:
        """The provider says paid (callback or re-check): record it once; True if it is new."""
        if status.state is not PaymentState.PAID:
            return False
        request = await self.outbox.request(status.tracking_number)
        if request is None or request.status is not S.AWAITING_PAYMENT:
            return False
        try:
            await self.requests.record_payment(
                self.actor,
                f"paid:{status.payment_ref}",
                status.tracking_number,
                payment_ref=status.payment_ref,
                provider=provider,
                amount=status.amount,
            )
        except DomainError as error:
            log.warning("%s: payment %s not recorded: %s", request.tracking_number, status, error)
            return False
        return True

    async def refund(self, number: str) -> None:
        """Rejected or cancelled after payment: pay the fee back."""
        request = await self.outbox.request(number)
        if request is None or request.payment is None or request.refund is not None:
            return
        if request.status not in (S.REJECTED, S.CANCELLED) or await self.parked(number, "refund"):
            return
        order = RefundOrder(
            payment_ref=request.payment["payment_ref"],
            tracking_number=number,
            amount=request.payment["amount"],
            idempotency_key=f"{number}:refund",
        )
        try:
            receipt = await self.call("payments", lambda: self.connectors.refund(order))
        except Failed as failed:
            await self.park(number, "refund", failed)
            return
        await self.requests.refund(
            self.actor, self.key(request, "refund"), number, refund_ref=receipt.refund_ref
        )

    # -- the agency ----------------------------------------------------------------------

    async def forward(self, number: str) -> None:
        """Paid (or free): send to the agency and record its answer."""
        request = await self.outbox.request(number)
        if request is None or await self.parked(number, "forward"):
            return
        free = request.fee is not None and request.fee["total"] == 0
        if request.status is S.PAID or (request.status is S.SUBMITTED and free):
            await self.requests.forward(self.actor, self.key(request, "forward"), number)
            request = await self.outbox.request(number)
            assert request is not None
        if request.status is not S.SENT_TO_AGENCY:
            return
        dispatch = await self.outbox.dispatch(number)
        if dispatch is not None and dispatch.fell_back:
            return  # the watcher tries again when the agency is back
        await self.submit(request, f"{number}:submit")

    async def submit(self, request: ServiceRequest, key: str, reference: str | None = None) -> bool:
        """File (or re-send) with the agency; record the answer. False if it failed."""
        number, agency = request.tracking_number, request.agency_code
        submission = AgencySubmission(
            tracking_number=number,
            service_code=request.service_code,
            agency=agency,
            form=request.form,
            idempotency_key=key,
            callback_url=f"{self.settings.callback_base}/agencies/{agency}",
            direct=request.direct_access,
            agency_reference=reference,
        )
        try:
            answer = await self.call(
                agency,
                lambda: self.connectors.submit(agency, submission),
                fail_fast=request.direct_access,
            )
        except Failed as failed:
            if request.direct_access and not failed.refused:
                await self.fall_back(request)
            else:
                await self.park(number, "forward", failed)
            return False
        await self.apply(number, answer)
        return True

    async def resend_information(self, number: str) -> None:
        """The citizen answered the agency's question: send it on."""
        request = await self.outbox.request(number)
        if request is None or request.status is not S.AGENCY_PROCESSING:
            return
        if request.agency_reference is None or await self.parked(number, "forward"):
            return
        await self.submit(request, self.key(request, "resend"), request.agency_reference)

    async def fall_back(self, request: ServiceRequest) -> None:
        """A direct-access agency is down: reply-later handling, a new date, the citizen told."""
        number = request.tracking_number
        dispatch = await self.outbox.dispatch(number)
        if dispatch is not None and dispatch.fell_back:
            return
        await self.khidma.dispatch.fall_back(
            self.actor,
            f"fall-back:{number}:{dispatch.version if dispatch else 0}",
            number,
            extra_days=self.settings.fallback_days,
        )

    async def apply(self, number: str, answer: AgencyAnswer) -> bool:
        """Record an agency's answer if it still fits the request; True if recorded."""
        request = await self.outbox.request(number)
        if request is None:
            return False
        key = self.key(request, f"answer-{answer.outcome.value}")
        status = request.status
        try:
            if answer.outcome is Outcome.ISSUED and status in (
                S.SENT_TO_AGENCY,
                S.AGENCY_PROCESSING,
            ):
                await self.requests.record_agency_answer(
                    self.actor, key, number, document_reference=answer.document_reference
                )
            elif answer.outcome is Outcome.REJECTED and status in (
                S.SENT_TO_AGENCY,
                S.AGENCY_PROCESSING,
                S.INFO_REQUIRED,
            ):
                await self.requests.record_agency_answer(
                    self.actor, key, number, rejection_reason=answer.reason
                )
            elif (
                answer.outcome is Outcome.ACCEPTED
                and status is S.SENT_TO_AGENCY
                and not request.direct_access
            ):
                await self.requests.record_agency_answer(
                    self.actor, key, number, accepted_reference=answer.agency_reference
                )
            elif answer.outcome is Outcome.INFO_REQUIRED and status in (
                S.SENT_TO_AGENCY,
                S.AGENCY_PROCESSING,
            ):
                await self.requests.ask_for_information(
                    self.actor, key, number, what=answer.information or ""
                )
            else:
                log.info("%s: %s ignored in state %s", number, answer.outcome, status)
                return False
        except DomainError as error:  # a concurrent answer moved the request on
            log.info("%s: %s not recorded: %s", number, answer.outcome, error)
            return False
        dispatch = await self.outbox.dispatch(number)
        if dispatch is not None and dispatch.fell_back and answer.outcome is not Outcome.ACCEPTED:
            await self.khidma.dispatch.resume_direct(
                self.actor, f"resume:{number}:{dispatch.version}", number
            )
        return True

    # -- the post ------------------------------------------------------------------------

    async def post(self, number: str) -> None:
        """Certified and to be posted: hand it to the post and record the tracking number."""
        request = await self.outbox.request(number)
        if request is None or request.status is not S.CERTIFIED:
            return
        if request.delivery is Delivery.PICKUP or await self.parked(number, "post"):
            return
        destination = (
            request.post_office
            if request.delivery is Delivery.POST_OFFICE
            else request.home_address
        )
        parcel = Parcel(number, request.delivery.value, destination or "", f"{number}:post")
        try:
            receipt = await self.call("post", lambda: self.connectors.dispatch_parcel(parcel))
        except Failed as failed:
            await self.park(number, "post", failed)
            return
        await self.requests.dispatch_by_post(
            self.actor, self.key(request, "post"), number, postal_tracking=receipt.postal_tracking
        )

    # -- notifications -------------------------------------------------------------------

    async def notify(self, number: str, kind: NotificationKind, cause: int) -> None:
        await self.notifier.notify(number, kind, cause)

    async def reconcile(self, number: str) -> None:
        """Everything the request's state calls for (after a supervisor's retry)."""
        await self.open_payment(number)
        await self.forward(number)
        await self.refund(number)
        await self.post(number)

    async def dispatch_of(self, number: str) -> Dispatch | None:
        return await self.outbox.dispatch(number)
