"""The values that cross the plugin API: typed, checked when made, in Arabic and English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ConnectorError(Exception):
    """Raised by a connector; ``transient`` errors are retried, the rest are not."""

    transient = True


class ConnectorUnavailable(ConnectorError):
    """The other side is down or slow (timeout, HTTP 5xx, a dropped connection): retry later."""


class ConnectorRefused(ConnectorError):
    """The other side refused what was sent (HTTP 4xx): retrying the same will not help."""

    transient = False


class ForgedCallback(Exception):
    """A callback whose signature does not verify: refused, logged, nothing changed."""


class Outcome(StrEnum):
    """What an agency answered about a request."""

    ISSUED = "issued"  # the document is issued (direct access, or the later reply)
    REJECTED = "rejected"  # refused, with a reason the citizen is told
    ACCEPTED = "accepted"  # taken for a later decision, under the agency's reference
    INFO_REQUIRED = "info_required"  # the agency needs more from the citizen
    PENDING = "pending"  # (polling) still being processed


@dataclass(frozen=True, slots=True)
class ServiceOffer:
    """A service an agency offers through its connector: the catalog entry it proposes."""

    code: str  # lower-case dotted, e.g. ``civil.birth_statement``
    name_ar: str
    name_en: str
    agency: str  # the agency's code, e.g. ``civil_registry``
    form_schema: Mapping[str, Any]  # see khidma.core.domain.forms
    fee: int  # the agency's fee in whole Syrian pounds
    handling: str  # ``direct`` (answered at once) or ``reply_later``
    turnaround_days: int  # working days the agency promises
    collectors: tuple[str, ...]  # who may collect: self, first_degree_relative, proxy
    delivery: tuple[str, ...] = ("pickup",)  # pickup, post_office, home
    validity_days: int = 60  # days an uncollected document waits before it expires
    clock_rule: str = "continue"  # after information is provided: continue or restart

    def catalog_entry(self) -> dict[str, Any]:
        """The keywords of ``Catalog.add_service`` for this offer."""
        return {
            "code": self.code,
            "name_ar": self.name_ar,
            "name_en": self.name_en,
            "agency": self.agency,
            "form_schema": dict(self.form_schema),
            "agency_fee": self.fee,
            "handling": self.handling,
            "turnaround_days": self.turnaround_days,
            "clock_rule": self.clock_rule,
            "collectors": list(self.collectors),
            "delivery": list(self.delivery),
            "validity_days": self.validity_days,
        }


@dataclass(frozen=True, slots=True)
class AgencySubmission:
    """A request as sent to its agency; ``idempotency_key`` is the same on every retry."""

    tracking_number: str
    service_code: str
    agency: str
    form: Mapping[str, Any]
    idempotency_key: str
    callback_url: str  # where the agency POSTs its signed later answer
    direct: bool  # the service is direct-access (an answer is expected at once)
    agency_reference: str | None = None  # set when re-sent with information the agency asked


@dataclass(frozen=True, slots=True)
class AgencyAnswer:
    """An agency's answer, from a submission, a poll or a verified callback."""

    outcome: Outcome
    tracking_number: str | None = None  # callbacks say which request they are about
    agency_reference: str | None = None  # ACCEPTED (and, where known, later answers)
    document_reference: str | None = None  # ISSUED
    reason: str | None = None  # REJECTED
    information: str | None = None  # INFO_REQUIRED: what is needed

    def __post_init__(self) -> None:
        outcome = Outcome(self.outcome)
        object.__setattr__(self, "outcome", outcome)
        needed = {
            Outcome.ISSUED: "document_reference",
            Outcome.REJECTED: "reason",
            Outcome.ACCEPTED: "agency_reference",
            Outcome.INFO_REQUIRED: "information",
        }.get(outcome)
        if needed and not getattr(self, needed):
            raise ValueError(f"{needed}: required for an answer of {outcome.value}")


@dataclass(frozen=True, slots=True)
class Callback:
    """An HTTP callback as it arrived: lower-cased headers and the raw body (to verify)."""

    headers: Mapping[str, str]
    body: bytes


class PaymentState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


@dataclass(frozen=True, slots=True)
class PaymentOrder:
    """A fee to collect; the citizen chooses the bank on the provider's page (or ``bank``)."""

    tracking_number: str
    amount: int
    idempotency_key: str
    callback_url: str
    bank: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentPage:
    payment_ref: str
    page_url: str  # where the citizen pays


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    payment_ref: str
    state: PaymentState
    tracking_number: str
    amount: int
    bank: str | None = None


@dataclass(frozen=True, slots=True)
class RefundOrder:
    payment_ref: str
    tracking_number: str
    amount: int
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class RefundReceipt:
    refund_ref: str


@dataclass(frozen=True, slots=True)
class Parcel:
    """A certified document to post: to a post office or to the home address."""

    tracking_number: str
    delivery: str  # post_office or home
    destination: str  # the post office, or the home address
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PostalReceipt:
    postal_tracking: str


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A notification channel and its place in the fallback order (lower is tried first)."""

    name: str
    priority: int


@dataclass(frozen=True, slots=True)
class Message:
    """A notification in the citizen's language; a channel uses the address it needs."""

    tracking_number: str
    kind: str
    language: str  # ar or en
    text: str
    idempotency_key: str
    citizen_id: str | None = None  # the app's push channel addresses the citizen's account
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    channel: str
    receipt: str  # the channel's message id


@dataclass(frozen=True, slots=True)
class Health:
    """How one part of a plugin is doing, for ``khidma plugins``."""

    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PluginContext:
    """What khidma tells plugins at start-up: where to call back, and how long to wait."""

    callback_base: str
    callback_secret: str
    timeout: float
    urls: Mapping[str, str] = field(default_factory=dict)
    default_base: str = "http://127.0.0.1:8010"

    def url_for(self, name: str) -> str:
        """The base URL of the system ``name`` (an agency code, ``payments``, ``post``…)."""
        return self.urls.get(name) or f"{self.default_base.rstrip('/')}/{name}"
