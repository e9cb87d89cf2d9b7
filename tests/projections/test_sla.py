"""sla: working-day clocks per party, the due date, and who made a late request late."""

from __future__ import annotations

from datetime import date

import pytest

from khidma.core.events import EventStore
from khidma.projections.sla import due
from khidma.projections.workdays import Workdays

from .helpers import catch_up
from .lifecycle import CLERK, calendar, collect, pay, save, submit, syria

pytestmark = pytest.mark.projection

SUNDAY = date(2026, 1, 4)  # Friday and Saturday are the weekend


def test_working_days_skip_the_weekend_and_holidays() -> None:
    days = Workdays(off=[date(2026, 1, 12)])
    assert days.between(SUNDAY, date(2026, 1, 11)) == 5  # Mon-Thu and Sunday
    assert days.between(SUNDAY, date(2026, 1, 13)) == 6  # Monday the 12th is a holiday
    assert days.between(date(2026, 1, 13), SUNDAY) == -6
    assert days.between(SUNDAY, SUNDAY) == 0


async def test_a_late_request_names_the_agency_that_made_it_late(store: EventStore) -> None:
    cal = calendar(holidays=[date(2026, 1, 12)])
    request = submit(1, syria(SUNDAY))
    pay(request, cal, syria(date(2026, 1, 6)))  # the citizen took Mon and Tue; due Thu 8th
    request.send_to_agency(by=CLERK, at=syria(date(2026, 1, 6)))
    request.accept_at_agency(agency_reference="AG-1", at=syria(date(2026, 1, 7)))
    request.issue(document_reference="DOC-1", at=syria(date(2026, 1, 13)))  # 12th is off
    collect(request, ready=syria(date(2026, 1, 14)), collected=syria(date(2026, 1, 15)))
    await save(store, cal, request)
    await catch_up(store, "sla")
    row = await store.pool.fetchrow("SELECT * FROM sla")
    assert row["due_on"] == date(2026, 1, 8)
    assert (row["citizen_days"], row["agency_days"], row["centre_days"]) == (2, 4, 1)
    assert not row["open"] and row["done_on"] == date(2026, 1, 14)
    assert row["late_days"] == 3  # Sun 11th, Tue 13th, Wed 14th
    assert row["late_because"] == "agency"


async def test_open_requests_nearing_and_past_their_due_date(store: EventStore) -> None:
    cal = calendar()
    late, soon = submit(1, syria(SUNDAY)), submit(2, syria(SUNDAY), turnaround=10)
    for request in (late, soon):
        pay(request, cal, syria(SUNDAY))
    await save(store, cal, late, soon)
    await catch_up(store, "sla")
    rows = await due(store.pool, today=date(2026, 1, 15), within_days=5)
    assert rows == [
        {"centre": "HMS-01", "agency_code": "civil_registry", "due_soon": 1, "overdue": 1}
    ]
