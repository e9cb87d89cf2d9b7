"""Shared builders for the ServiceRequest tests: a request brought to any status by a valid path."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.errors import DomainError, ValidationError
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import format_tracking_number
from khidma.core.events.transcoder import new_mapper

S = Status
# 2026-03-01 is a Sunday; Friday and Saturday are off, and so are the holidays below.
DAY = date(2026, 3, 1)
AT = datetime(2026, 3, 1, 9, 0, tzinfo=SYRIA_TIME)
PAID_ON = date(2026, 3, 2)  # Monday
ASKED_ON = date(2026, 3, 4)  # Wednesday
ANSWERED_ON = date(2026, 3, 12)  # Thursday
READY_ON = date(2026, 3, 15)  # Sunday
HOLIDAYS_2026 = [
    (date(2026, 3, 8), "عيد الثورة", "Revolution Day"),  # a Sunday
    (date(2026, 3, 22), "عطلة عيد الفطر", "Eid al-Fitr holiday"),  # a Sunday
]
CALENDAR = WorkingCalendar.create("SY", at=AT)
CALENDAR.declare_holidays(2026, HOLIDAYS_2026, at=AT)

TRACKING = format_tracking_number("DAM", 2026, 4821)
CITIZEN = uuid.UUID("11111111-1111-4111-8111-111111111111")
OTHER_PERSON = uuid.UUID("22222222-2222-4222-8222-222222222222")
CLERK = uuid.UUID("33333333-3333-4333-8333-333333333333")
OTHER_CLERK = uuid.UUID("44444444-4444-4444-8444-444444444444")
NN = "01234567890"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
NN_ARABIC_INDIC = NN.translate(ARABIC_INDIC)
CENTRE, OTHER_CENTRE, THIRD_CENTRE = "DAM-01", "DAM-02", "HMS-01"
AGENCY_FEE, SURCHARGE = 1_000, 500
FEE = AGENCY_FEE + SURCHARGE
VALIDITY_DAYS = 30


def submit(**overrides: Any) -> ServiceRequest:
    """A request for a paid, reply-later service, filed at a counter, collected at CENTRE."""
    args: dict[str, Any] = {
        "tracking_number": TRACKING,
        "citizen_id": CITIZEN,
        "service_code": "civil.individual_record",
        "agency_code": "civil_registry",
        "direct_access": False,
        "channel": "counter",
        "origin_centre": CENTRE,
        "form": {"purpose": "عمل", "copies": 1},
        "delivery": "pickup",
        "pickup_centre": CENTRE,
        "collectors": ["self", "first_degree_relative", "proxy"],
        "turnaround_days": 5,
        "clock_rule": "continue",
        "validity_days": VALIDITY_DAYS,
        "at": AT,
    }
    args.update(overrides)
    return ServiceRequest.submit(**args)


def by_post() -> dict[str, Any]:
    """Submit arguments for delivery to a post office (processed at the counter's centre)."""
    return {
        "delivery": "post_office",
        "pickup_centre": None,
        "post_office": "دمشق - البريد المركزي",
    }


Command = Callable[[ServiceRequest], None]

# Every command of ALLOWED_FROM, called with arguments valid wherever the command may run.
COMMANDS: dict[str, Command] = {
    "assess the fee of": lambda r: r.assess_fee(
        agency_fee=AGENCY_FEE,
        surcharge=SURCHARGE,
        decision_ref="DAM-2026/17",
        on=DAY,
        calendar=CALENDAR,
        at=AT,
    ),
    "record payment for": lambda r: r.record_payment(
        payment_ref="SEP-778812",
        provider="syrian_e_payments",
        amount=FEE if r.fee is None else r.fee["total"],
        on=PAID_ON,
        calendar=CALENDAR,
        at=AT + timedelta(days=1),
    ),
    "send to the agency": lambda r: r.send_to_agency(by=CLERK, at=AT + timedelta(days=1)),
    "record the agency's acceptance of": lambda r: r.accept_at_agency(
        agency_reference="CR-2026-77", at=AT + timedelta(days=2)
    ),
    "ask for information on": lambda r: r.ask_for_information(
        what="صورة عن البطاقة الشخصية", on=ASKED_ON, calendar=CALENDAR, at=AT + timedelta(days=3)
    ),
    "provide information for": lambda r: r.provide_information(
        answer={"id_card_copy": "scan-1.pdf"},
        on=ANSWERED_ON,
        calendar=CALENDAR,
        at=AT + timedelta(days=11),
    ),
    "issue": lambda r: r.issue(document_reference="DOC-99", at=AT + timedelta(days=12)),
    "reject": lambda r: r.reject(
        reason="الطلاق غير مكتسب الدرجة القطعية", at=AT + timedelta(days=12)
    ),
    "refund": lambda r: r.record_refund(refund_ref="RF-1", at=AT + timedelta(days=13)),
    # Stamped where the agency sent it: the pickup centre, else the processing centre.
    "certify": lambda r: r.certify(
        clerk_id=CLERK, centre=r.certifying_centre, at=AT + timedelta(days=13)
    ),
    "mark ready": lambda r: r.mark_ready(clerk_id=CLERK, on=READY_ON, at=AT + timedelta(days=14)),
    "change the pickup centre of": lambda r: r.change_pickup_centre(
        centre=OTHER_CENTRE if r.pickup_centre != OTHER_CENTRE else THIRD_CENTRE,
        by=CITIZEN,
        at=AT + timedelta(days=14),
    ),
    "hand over": lambda r: r.hand_over(
        recipient="self",
        recipient_citizen_id=CITIZEN,
        recipient_national_number=NN,
        clerk_id=CLERK,
        centre=r.pickup_centre or CENTRE,
        at=AT + timedelta(days=15),
    ),
    "dispatch by post": lambda r: r.dispatch_by_post(
        postal_tracking="SYP-123456", clerk_id=CLERK, at=AT + timedelta(days=14)
    ),
    "record delivery of": lambda r: r.record_delivery(at=AT + timedelta(days=16)),
    "cancel": lambda r: r.cancel(
        reason="لم أعد بحاجة إليها", by=CITIZEN, at=AT + timedelta(days=1)
    ),
    "expire": lambda r: r.expire(
        on=(r.ready_since or READY_ON) + timedelta(days=r.validity_days),
        at=AT + timedelta(days=60),
    ),
    "assign a clerk to": lambda r: r.assign_clerk(clerk_id=OTHER_CLERK, at=AT),
    "add a note to": lambda r: r.add_note(text="اتصل المواطن", by=CLERK, at=AT),
}


def assess_free(r: ServiceRequest) -> None:
    r.assess_fee(agency_fee=0, surcharge=0, decision_ref=None, on=DAY, calendar=CALENDAR, at=AT)


_TO_AGENCY = ["assess the fee of", "record payment for", "send to the agency"]
_ACCEPTED = [*_TO_AGENCY, "record the agency's acceptance of"]
_ISSUED = [*_ACCEPTED, "issue"]
_CERTIFIED = [*_ISSUED, "certify"]
_READY = [*_CERTIFIED, "mark ready"]
_REJECTED = [*_ACCEPTED, "reject"]
PATHS: dict[Status, list[str]] = {
    S.SUBMITTED: [],
    S.AWAITING_PAYMENT: ["assess the fee of"],
    S.PAID: ["assess the fee of", "record payment for"],
    S.SENT_TO_AGENCY: _TO_AGENCY,
    S.AGENCY_PROCESSING: _ACCEPTED,
    S.INFO_REQUIRED: [*_ACCEPTED, "ask for information on"],
    S.ISSUED: _ISSUED,
    S.REJECTED: _REJECTED,
    S.REFUNDED: [*_REJECTED, "refund"],
    S.CERTIFIED: _CERTIFIED,
    S.READY_FOR_PICKUP: _READY,
    S.COLLECTED: [*_READY, "hand over"],
    S.DISPATCHED: [*_CERTIFIED, "dispatch by post"],
    S.DELIVERED: [*_CERTIFIED, "dispatch by post", "record delivery of"],
    # Cancelled after payment, so that the refund may follow.
    S.CANCELLED: ["assess the fee of", "record payment for", "cancel"],
    S.EXPIRED: [*_READY, "expire"],
}
BY_POST = frozenset({S.DISPATCHED, S.DELIVERED})


def reach(status: Status, *, free: bool = False, post: bool = False, **overrides: Any) -> Any:
    """A fresh request brought to ``status`` by a valid path, its events still pending.

    ``free`` assesses a zero fee (even for SUBMITTED, which a free request keeps), so payment is
    skipped; ``post`` delivers to a post office (forced for the postal states).
    """
    if post or status in BY_POST:
        overrides = {**by_post(), **overrides}
    request = submit(**overrides)
    path = ["assess the fee of"] if free and status is S.SUBMITTED else PATHS[status]
    for name in path:
        if free and name == "record payment for":
            continue
        (assess_free if free and name == "assess the fee of" else COMMANDS[name])(request)
    assert request.status is status
    return request


def state(aggregate: Aggregate) -> dict[str, Any]:
    """A deep copy of everything the aggregate holds, pending events included by count."""
    held = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
    return {**copy.deepcopy(held), "pending": len(aggregate.pending_events)}


def refused(
    aggregate: Aggregate, call: Callable[[], Any], error: type[DomainError] = DomainError
) -> Any:
    """``call`` raises ``error`` and leaves the aggregate as it was, with no pending event."""
    before = state(aggregate)
    with pytest.raises(error) as raised:
        call()
    assert state(aggregate) == before
    return raised.value


def refused_field(aggregate: Aggregate, field: str, call: Callable[[], Any]) -> None:
    """``call`` raises a ValidationError naming ``field``, and nothing is recorded."""
    error = refused(aggregate, call, ValidationError)
    assert error.field == field, error


def replay(aggregate: Aggregate) -> Any:
    """Collect the events, store and load each through the project's mapper, and rebuild."""
    mapper = new_mapper()
    rebuilt = None
    for e in aggregate.collect_events():
        loaded = mapper.to_domain_event(mapper.to_stored_event(e))
        assert loaded == e
        rebuilt = loaded.mutate(rebuilt)
    assert rebuilt is not None
    return rebuilt


def typed(centre: str) -> str:
    """``centre`` as someone might type it: lower case, Arabic-Indic digits."""
    return centre.lower().translate(ARABIC_INDIC)


def names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.pending_events]
