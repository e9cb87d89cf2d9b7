"""The second layer of a request: fee, payment, and the agency's answer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from .calendar import DueClock, WorkingDays
from .errors import InvalidTransition, ValidationError
from .lifecycle import Status
from .money import pounds
from .request_base import RequestBase
from .text import bounded


class RequestAtAgency(RequestBase):
    """Fee and payment, then what the agency does with the request."""

    # -- fee and payment -------------------------------------------------------------------

    def assess_fee(
        self,
        *,
        agency_fee: int,
        surcharge: int,
        decision_ref: str | None,
        on: date,
        calendar: WorkingDays,
        at: datetime,
    ) -> None:
        """Fix the fee (agency fee + centre surcharge); a free request starts its clock now."""
        at = self._require("assess the fee of", at)
        if self.fee is not None:
            raise InvalidTransition("assess the fee of", self.status.value, "already assessed")
        for name, value in (("agency_fee", agency_fee), ("surcharge", surcharge)):
            pounds(name, value)
        total = agency_fee + surcharge
        clock = None
        if total == 0:  # free: waiting on the centre from now on
            clock = DueClock.start(on, self.turnaround_days, calendar).to_dict()
        # Triggered directly, not through an @event method: every submission assesses a fee.
        # This class, not a subclass's copy of it, so the topic names RequestAtAgency.
        self.trigger_event(
            RequestAtAgency.FeeAssessed,
            agency_fee=agency_fee,
            surcharge=surcharge,
            total=total,
            decision_ref=bounded("decision_ref", decision_ref, 100, required=False) or None,
            assessed_on=on,
            clock=clock,
            at=at,
        )

    class FeeAssessed(RequestBase.Event):
        """Version 2 splits the fee into the agency's fee and the governorate's surcharge.

        Version 1 (before surcharge decisions were recorded) held one figure, ``total``.
        """

        class_version = 2
        agency_fee: int
        surcharge: int
        total: int
        decision_ref: str | None
        assessed_on: date
        clock: dict[str, Any] | None
        at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["agency_fee"] = state["total"]
            state["surcharge"] = 0
            state["decision_ref"] = None
            state["assessed_on"] = state["at"].date()
            state.setdefault("clock", None)

        def apply(self, request: RequestAtAgency) -> None:  # type: ignore[override]
            request.fee = {
                "agency_fee": self.agency_fee,
                "surcharge": self.surcharge,
                "total": self.total,
                "decision_ref": self.decision_ref,
                "assessed_on": self.assessed_on,
            }
            if self.total > 0:
                request.status = Status.AWAITING_PAYMENT
            request.clock = self.clock
            request.updated_at = self.at

    def record_payment(
        self,
        *,
        payment_ref: str,
        provider: str,
        amount: int,
        on: date,
        calendar: WorkingDays,
        at: datetime,
    ) -> None:
        """The fee was paid; the turnaround clock starts."""
        at = self._require("record payment for", at)
        assert self.fee is not None
        pounds("amount", amount)
        if amount != self.fee["total"]:
            raise ValidationError("amount", f"expected {self.fee['total']} SYP, got {amount}")
        self._paid(
            payment_ref=bounded("payment_ref", payment_ref, 100),
            provider=bounded("provider", provider, 100),
            amount=amount,
            clock=DueClock.start(on, self.turnaround_days, calendar).to_dict(),
            at=at,
        )

    @event("PaymentRecorded")
    def _paid(
        self,
        *,
        payment_ref: str,
        provider: str,
        amount: int,
        clock: dict[str, Any] | None,
        at: datetime,
    ) -> None:
        self.payment = {
            "payment_ref": payment_ref,
            "provider": provider,
            "amount": amount,
            "paid_at": at,
        }
        self.status = Status.PAID
        self.clock = clock
        self.updated_at = at

    # -- the agency ------------------------------------------------------------------------

    def send_to_agency(self, *, by: UUID | None, at: datetime) -> None:
        """Forward to the agency; paid requests, or free ones straight from submission."""
        at = self._require("send to the agency", at)
        if self.fee is None:
            raise InvalidTransition("send to the agency", self.status.value, "fee not assessed")
        if self.status is Status.SUBMITTED and self.fee["total"] > 0:
            raise InvalidTransition("send to the agency", self.status.value, "not paid")
        self._sent(by=by, at=at)

    @event("SentToAgency")
    def _sent(self, *, by: UUID | None, at: datetime) -> None:
        self.status = Status.SENT_TO_AGENCY
        self.updated_at = at

    def accept_at_agency(self, *, agency_reference: str, at: datetime) -> None:
        """A reply-later agency took the request and gave its reference."""
        at = self._require("record the agency's acceptance of", at)
        if self.direct_access:
            raise InvalidTransition(
                "record the agency's acceptance of",
                self.status.value,
                "a direct-access agency issues at once",
            )
        self._accepted(agency_reference=bounded("agency_reference", agency_reference, 100), at=at)

    @event("AcceptedByAgency")
    def _accepted(self, *, agency_reference: str, at: datetime) -> None:
        self.agency_reference = agency_reference
        self.status = Status.AGENCY_PROCESSING
        self.updated_at = at

    def ask_for_information(
        self, *, what: str, on: date, calendar: WorkingDays, at: datetime
    ) -> None:
        """The agency needs more from the citizen; the clock stops."""
        at = self._require("ask for information on", at)
        self._information_requested(
            what=bounded("what", what, 1000), clock=self._paused(on, calendar), at=at
        )

    @event("InformationRequested")
    def _information_requested(
        self, *, what: str, clock: dict[str, Any] | None, at: datetime
    ) -> None:
        self.information_requested = what
        self.status = Status.INFO_REQUIRED
        self.clock = clock
        self.updated_at = at

    def provide_information(
        self, *, answer: Mapping[str, Any], on: date, calendar: WorkingDays, at: datetime
    ) -> None:
        """The citizen answered; the clock continues or restarts as the service says."""
        at = self._require("provide information for", at)
        if not isinstance(answer, Mapping) or not answer:
            raise ValidationError("answer", "expected the information asked for")
        self._information_provided(answer=dict(answer), clock=self._resumed(on, calendar), at=at)

    @event("InformationProvided")
    def _information_provided(
        self, *, answer: dict[str, Any], clock: dict[str, Any] | None, at: datetime
    ) -> None:
        self.form = {**self.form, **answer}
        self.information_requested = None
        self.status = Status.AGENCY_PROCESSING
        self.clock = clock
        self.updated_at = at

    def issue(self, *, document_reference: str, at: datetime) -> None:
        """The agency issued the document; it is handed to the certifying centre."""
        at = self._require("issue", at)
        self._issued(
            document_reference=bounded("document_reference", document_reference, 100),
            to_centre=self.certifying_centre,
            at=at,
        )

    @event("Issued")
    def _issued(self, *, document_reference: str, to_centre: str | None, at: datetime) -> None:
        self.document_reference = document_reference
        self.status = Status.ISSUED
        self._hand_off(f"agency:{self.agency_code}", f"centre:{to_centre}", None, at)
        self.updated_at = at

    def reject(self, *, reason: str, at: datetime) -> None:
        """The agency refused (e.g. a divorce not yet final); a paid fee is then refunded."""
        at = self._require("reject", at)
        self._rejected(reason=bounded("reason", reason, 1000), at=at)

    @event("Rejected")
    def _rejected(self, *, reason: str, at: datetime) -> None:
        self.rejection_reason = reason
        self.status = Status.REJECTED
        self.updated_at = at

    def record_refund(self, *, refund_ref: str, at: datetime) -> None:
        at = self._require("refund", at)
        if self.payment is None:
            raise InvalidTransition("refund", self.status.value, "nothing was paid")
        self._refunded(
            refund_ref=bounded("refund_ref", refund_ref, 100), amount=self.payment["amount"], at=at
        )

    @event("Refunded")
    def _refunded(self, *, refund_ref: str, amount: int, at: datetime) -> None:
        self.refund = {"refund_ref": refund_ref, "amount": amount, "refunded_at": at}
        self.status = Status.REFUNDED
        self.updated_at = at

    def _paused(self, on: date, calendar: WorkingDays) -> dict[str, Any] | None:
        clock = self.due_clock
        return None if clock is None else clock.pause(on, calendar).to_dict()

    def _resumed(self, on: date, calendar: WorkingDays) -> dict[str, Any] | None:
        clock = self.due_clock
        return None if clock is None else clock.resume(on, self.clock_rule, calendar).to_dict()
