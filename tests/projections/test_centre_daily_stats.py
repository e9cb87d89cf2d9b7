"""centre_daily_stats: counts per centre, day and service; turnaround percentiles; visitors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from khidma.core.domain.queue import Queue
from khidma.core.events import EventStore
from khidma.projections.centre_daily_stats import monthly

from .helpers import catch_up
from .lifecycle import CLERK, calendar, collect, issue, pay, save, submit, syria

pytestmark = pytest.mark.projection

DAY = date(2026, 1, 4)


async def test_counts_and_turnaround_percentiles(store: EventStore) -> None:
    cal = calendar()
    first, second = submit(1, syria(DAY)), submit(2, syria(DAY + timedelta(days=1)))
    rejected = submit(3, syria(DAY))
    done = syria(DAY + timedelta(days=2))
    for request in (first, second):
        pay(request, cal, request.submitted_at)
        issue(request, request.submitted_at)
        collect(request, ready=done, collected=done)  # 48 and 24 hours
    pay(rejected, cal, syria(DAY))
    rejected.send_to_agency(by=CLERK, at=syria(DAY))
    rejected.reject(reason="not final", at=syria(DAY))
    queue = Queue.open("HMS-01", DAY, [("civil", "C", "الأحوال المدنية", "Civil")], 2, syria(DAY))
    queue.take_ticket("civil", syria(DAY, 8, 1))
    queue.take_ticket("civil", syria(DAY, 8, 2))
    number = queue.call_next(1, CLERK, ["civil"], syria(DAY, 8, 3))
    assert number is not None
    queue.mark_served(number, [], syria(DAY, 8, 9))
    await save(store, cal, first, second, rejected, queue)
    await catch_up(store, "centre_daily_stats")
    rows = await store.pool.fetch(
        "SELECT day, submitted, completed, rejected, median_turnaround_hours,"
        " p90_turnaround_hours FROM centre_daily_stats ORDER BY day"
    )
    got = [tuple(r) for r in rows]
    assert got == [
        (DAY, 2, 0, 1, None, None),
        (DAY + timedelta(days=1), 1, 0, 0, None, None),
        (DAY + timedelta(days=2), 0, 2, 0, 36.0, pytest.approx(45.6)),
    ]
    visits = await store.pool.fetchrow("SELECT tickets, served, no_shows FROM centre_daily_visits")
    assert tuple(visits) == (2, 1, 0)
    month = await monthly(store.pool, "HMS-01", DAY)
    assert month == [
        {"service_code": "civil.birth_statement", "submitted": 3, "completed": 2, "rejected": 1}
    ]
