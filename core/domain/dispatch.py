"""Dispatch: what khidma's workers did for one request with the outside world.

A request's agency, payment provider, post and notification channels are reached by the
dispatcher (``khidma.plugins.dispatch``). What it could not do (a step parked for a supervisor),
what it did instead (a direct-access request handled as reply-later while its agency is down),
the payment it opened and every notification with its delivery receipt are events here, one
stream per request, beside the request's own stream.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from .citizen import Language
from .errors import InvalidTransition, ValidationError
from .ids import derived_id
from .money import pounds
from .text import bounded, choice, moment
from .tracking import parse_tracking_number

_STEP = re.compile(r"^[a-z][a-z_]{1,39}$")


class NotificationKind(StrEnum):
    """Why the citizen is written to."""

    PAYMENT_DUE = "payment_due"
    READY_FOR_PICKUP = "ready_for_pickup"
    REJECTED = "rejected"
    INFORMATION_REQUIRED = "information_required"
    DISPATCHED = "dispatched"
    DELAYED = "delayed"


def parse_step(step: object) -> str:
    if not isinstance(step, str) or not _STEP.match(step):
        raise ValidationError("step", "expected a step name like forward or notify")
    return step


class Dispatch(Aggregate):
    """The dispatcher's record for one request (its id follows from the tracking number)."""

    @staticmethod
    def create_id(tracking_number: str) -> UUID:
        return derived_id(NAMESPACE_URL, f"khidma:dispatch:{tracking_number}")

    @classmethod
    def id_for(cls, tracking_number: str) -> UUID:
        return cls.create_id(parse_tracking_number(tracking_number))

    @classmethod
    def open(cls, tracking_number: str, *, at: datetime) -> Dispatch:
        return cls(tracking_number=parse_tracking_number(tracking_number), at=moment("at", at))

    @event("Opened")
    def __init__(self, *, tracking_number: str, at: datetime) -> None:
        self.tracking_number = tracking_number
        self.parked: dict[str, dict[str, Any]] = {}
        self.retries: dict[str, int] = {}
        self.fallback_until: date | None = None
        self.fell_back = False
        self.payment: dict[str, Any] | None = None
        self.notifications: list[dict[str, Any]] = []
        self.updated_at = at

    # -- parking ---------------------------------------------------------------------------

    def park(self, *, step: str, error: str, attempts: int, at: datetime) -> None:
        """After ``attempts`` failures the step waits for a supervisor."""
        step = parse_step(step)
        if step in self.parked:
            raise InvalidTransition("park", "parked", f"{step} is already parked")
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValidationError("attempts", "expected a whole number ≥ 1")
        error = bounded("error", error, 500)
        self._failed(step=step, error=error, attempts=attempts, at=moment("at", at))

    @event("DispatchFailed")
    def _failed(self, *, step: str, error: str, attempts: int, at: datetime) -> None:
        self.parked[step] = {"error": error, "attempts": attempts, "at": at}
        self.updated_at = at

    def retry(self, *, step: str, by: UUID, at: datetime) -> None:
        """A supervisor sends a parked step back to the dispatcher."""
        step = parse_step(step)
        if step not in self.parked:
            raise InvalidTransition("retry", "not parked", f"{step} is not parked")
        if not isinstance(by, UUID):
            raise ValidationError("by", "expected the supervisor's id")
        self._retried(step=step, by=by, at=moment("at", at))

    @event("DispatchRetried")
    def _retried(self, *, step: str, by: UUID, at: datetime) -> None:
        del self.parked[step]
        self.retries[step] = self.retries.get(step, 0) + 1
        self.updated_at = at

    # -- direct access while the agency is down --------------------------------------------

    def fall_back(self, *, agency: str, promised_on: date, at: datetime) -> None:
        """The direct-access agency is down: handled as reply-later, with a new promised date."""
        if self.fell_back:
            raise InvalidTransition("fall back", "fallen back", "already handled as reply-later")
        if not isinstance(promised_on, date) or isinstance(promised_on, datetime):
            raise ValidationError("promised_on", "expected a date")
        agency = bounded("agency", agency, 100)
        self._fell_back(agency=agency, promised_on=promised_on, at=moment("at", at))

    @event("FellBackToReplyLater")
    def _fell_back(self, *, agency: str, promised_on: date, at: datetime) -> None:
        self.fell_back = True
        self.fallback_until = promised_on
        self.updated_at = at

    def resume_direct(self, *, at: datetime) -> None:
        """The agency is back: the request was answered directly after all."""
        if not self.fell_back:
            raise InvalidTransition("resume direct handling", "direct", "never fell back")
        self._resumed(at=moment("at", at))

    @event("DirectHandlingResumed")
    def _resumed(self, *, at: datetime) -> None:
        self.fell_back = False
        self.updated_at = at

    # -- payment ---------------------------------------------------------------------------

    def start_payment(
        self, *, provider: str, payment_ref: str, page_url: str, amount: int, at: datetime
    ) -> None:
        """The provider opened a payment; the citizen pays on its page (choosing a bank)."""
        if self.payment is not None and self.payment["payment_ref"] == payment_ref:
            raise InvalidTransition("start payment", "started", f"{payment_ref} already started")
        pounds("amount", amount)
        if not isinstance(page_url, str) or not page_url.startswith(("http://", "https://")):
            raise ValidationError("page_url", "expected an http(s) URL")
        self._payment_started(
            provider=bounded("provider", provider, 100),
            payment_ref=bounded("payment_ref", payment_ref, 100),
            page_url=bounded("page_url", page_url, 500),
            amount=amount,
            at=moment("at", at),
        )

    @event("PaymentStarted")
    def _payment_started(
        self, *, provider: str, payment_ref: str, page_url: str, amount: int, at: datetime
    ) -> None:
        self.payment = {
            "provider": provider,
            "payment_ref": payment_ref,
            "page_url": page_url,
            "amount": amount,
        }
        self.updated_at = at

    # -- notifications ---------------------------------------------------------------------

    def record_notification(
        self,
        *,
        kind: NotificationKind | str,
        channel: str,
        language: str,
        receipt: str | None,
        error: str | None,
        at: datetime,
    ) -> None:
        """A message to the citizen: delivered (with the channel's receipt) or failed."""
        kind = choice("kind", NotificationKind, kind)
        channel = bounded("channel", channel, 50)
        language = choice("language", Language, language).value
        if (receipt is None) == (error is None):
            raise ValidationError("receipt", "exactly one of receipt and error")
        at = moment("at", at)
        if receipt is not None:
            self._notified(
                kind=kind,
                channel=channel,
                language=language,
                receipt=bounded("receipt", receipt, 200),
                at=at,
            )
        else:
            self._not_notified(
                kind=kind, channel=channel, error=bounded("error", error, 500), at=at
            )

    @event("NotificationSent")
    def _notified(
        self, *, kind: NotificationKind, channel: str, language: str, receipt: str, at: datetime
    ) -> None:
        self.notifications.append(
            {"kind": kind, "channel": channel, "language": language, "receipt": receipt, "at": at}
        )
        self.updated_at = at

    @event("NotificationFailed")
    def _not_notified(
        self, *, kind: NotificationKind, channel: str, error: str, at: datetime
    ) -> None:
        self.updated_at = at
