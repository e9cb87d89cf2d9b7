"""Requests and queues built straight from the domain aggregates, at the moments a test chooses."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import format_tracking_number
from khidma.core.events import AggregateRepository, EventStore

CLERK = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
NATIONAL = "01020304050"
CITIZEN = uuid.uuid5(uuid.NAMESPACE_OID, NATIONAL)


def syria(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SYRIA_TIME)


def calendar(holidays: list[date] = ()) -> WorkingCalendar:  # type: ignore[assignment]
    cal = WorkingCalendar.create("SY", at=syria(date(2026, 1, 1)))
    if holidays:
        cal.declare_holidays(
            2026, [(d, "عطلة", "Holiday") for d in holidays], at=syria(date(2026, 1, 1))
        )
    return cal


def submit(
    sequence: int, at: datetime, *, centre: str = "HMS-01", turnaround: int = 2, **extra: Any
) -> ServiceRequest:
    options: dict[str, Any] = {
        "service_code": "civil.birth_statement",
        "agency_code": "civil_registry",
        "direct_access": False,
        "channel": "portal",
        "origin_centre": None,
        "delivery": "pickup",
        "pickup_centre": centre,
        **extra,
    }
    return ServiceRequest.submit(
        tracking_number=format_tracking_number(centre[:3], 2026, sequence),
        citizen_id=CITIZEN, form={"national_number": NATIONAL}, collectors=["self"],
        turnaround_days=turnaround, clock_rule="continue", validity_days=30, at=at, **options,
    )  # fmt: skip


def pay(request: ServiceRequest, cal: WorkingCalendar, at: datetime, fee: int = 1000) -> None:
    request.assess_fee(
        agency_fee=fee, surcharge=0, decision_ref=None, on=request.submitted_at.date(),
        calendar=cal, at=request.submitted_at,
    )  # fmt: skip
    request.record_payment(
        payment_ref="SEP-1", provider="Al Baraka Bank Syria", amount=fee, on=at.date(),
        calendar=cal, at=at,
    )  # fmt: skip


def issue(request: ServiceRequest, at: datetime) -> None:
    request.send_to_agency(by=CLERK, at=at)
    request.accept_at_agency(agency_reference="AG-1", at=at)
    request.issue(document_reference="DOC-1", at=at)


def collect(request: ServiceRequest, ready: datetime, collected: datetime) -> None:
    centre = request.pickup_centre
    assert centre is not None
    request.certify(clerk_id=CLERK, centre=centre, at=ready)
    request.mark_ready(clerk_id=CLERK, on=ready.date(), at=ready)
    request.hand_over(
        recipient="self", recipient_citizen_id=CITIZEN, recipient_national_number=NATIONAL,
        clerk_id=CLERK, centre=centre, at=collected,
    )  # fmt: skip


async def save(store: EventStore, *aggregates: Aggregate) -> None:
    appended = await AggregateRepository(store).save(*aggregates)
    assert appended is not None
    await store.sequenced(appended, timeout=60)
