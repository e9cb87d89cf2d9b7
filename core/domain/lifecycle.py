"""The request lifecycle as data: its states, and from which states each command may run."""

from __future__ import annotations

from enum import StrEnum

from .errors import ValidationError
from .text import choice


class Status(StrEnum):
    """Where a request (معاملة) stands."""

    SUBMITTED = "submitted"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SENT_TO_AGENCY = "sent_to_agency"
    AGENCY_PROCESSING = "agency_processing"
    INFO_REQUIRED = "info_required"
    ISSUED = "issued"
    REJECTED = "rejected"
    REFUNDED = "refunded"
    CERTIFIED = "certified"
    READY_FOR_PICKUP = "ready_for_pickup"
    DISPATCHED = "dispatched"
    COLLECTED = "collected"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Channel(StrEnum):
    COUNTER = "counter"
    PORTAL = "portal"
    APP = "app"


class Relation(StrEnum):
    """First-degree relatives, who may collect a document where the service allows it."""

    FATHER = "father"
    MOTHER = "mother"
    SON = "son"
    DAUGHTER = "daughter"
    SPOUSE = "spouse"

    @classmethod
    def parse(cls, value: object) -> Relation:
        """A relation given in English or Arabic (أب، أم، ابن، ابنة، زوج، زوجة)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError("relation", "required for a first-degree relative")
        if isinstance(value, str) and value.strip() in _ARABIC:
            return _ARABIC[value.strip()]
        return choice("relation", cls, value)


_ARABIC = {
    "أب": Relation.FATHER,
    "الأب": Relation.FATHER,
    "أم": Relation.MOTHER,
    "الأم": Relation.MOTHER,
    "ابن": Relation.SON,
    "الابن": Relation.SON,
    "ابنة": Relation.DAUGHTER,
    "بنت": Relation.DAUGHTER,
    "الابنة": Relation.DAUGHTER,
    "زوج": Relation.SPOUSE,
    "زوجة": Relation.SPOUSE,
    "الزوج": Relation.SPOUSE,
    "الزوجة": Relation.SPOUSE,
}
FIRST_DEGREE = frozenset(r.value for r in Relation)


S = Status
# Free services skip payment: they may be sent from SUBMITTED (the command checks the fee).
ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "assess the fee of": frozenset({S.SUBMITTED}),
    "record payment for": frozenset({S.AWAITING_PAYMENT}),
    "send to the agency": frozenset({S.SUBMITTED, S.PAID}),
    "record the agency's acceptance of": frozenset({S.SENT_TO_AGENCY}),
    "ask for information on": frozenset({S.SENT_TO_AGENCY, S.AGENCY_PROCESSING}),
    "provide information for": frozenset({S.INFO_REQUIRED}),
    "issue": frozenset({S.SENT_TO_AGENCY, S.AGENCY_PROCESSING}),
    "reject": frozenset({S.SENT_TO_AGENCY, S.AGENCY_PROCESSING, S.INFO_REQUIRED}),
    "refund": frozenset({S.REJECTED, S.CANCELLED}),
    "certify": frozenset({S.ISSUED}),
    "mark ready": frozenset({S.CERTIFIED}),
    "change the pickup centre of": frozenset(
        {
            S.SUBMITTED,
            S.AWAITING_PAYMENT,
            S.PAID,
            S.SENT_TO_AGENCY,
            S.AGENCY_PROCESSING,
            S.INFO_REQUIRED,
            S.ISSUED,
            S.CERTIFIED,
            S.READY_FOR_PICKUP,
        }
    ),
    "hand over": frozenset({S.READY_FOR_PICKUP}),
    "dispatch by post": frozenset({S.CERTIFIED}),
    "record delivery of": frozenset({S.DISPATCHED}),
    "cancel": frozenset({S.SUBMITTED, S.AWAITING_PAYMENT, S.PAID}),
    "expire": frozenset({S.READY_FOR_PICKUP}),
    "assign a clerk to": frozenset(
        set(S) - {S.COLLECTED, S.DELIVERED, S.CANCELLED, S.EXPIRED, S.REFUNDED}
    ),
    "add a note to": frozenset(S),
}

WAITING_ON_CITIZEN = frozenset({S.AWAITING_PAYMENT, S.INFO_REQUIRED})

# Nothing but a note runs from these (CANCELLED is not final: a paid fee is still refunded).
FINAL = frozenset({S.COLLECTED, S.DELIVERED, S.EXPIRED, S.REFUNDED})
