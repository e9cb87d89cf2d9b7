"""Realistic request lifecycles written through the event store, for the projections benchmark.

Requests are real ``ServiceRequest`` aggregates driven through their commands (submit, fee,
pay, send, accept, ask for and provide information, issue or reject and refund, certify, mark
ready and collect, or dispatch and deliver), interleaved as they would be: a few thousand are
open at once and each moves one step at a time on a simulated clock of about 3,000 filings a
day across five centres; counter filings take a queue ticket first (نظام دور). Memory stays
flat: finished requests are dropped.

    .venv/bin/python benchmarks/generate.py [--events 1000000] [--database-url URL] [--schema S]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from khidma.core.config import Settings
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog, ClockRule, Collector, Delivery, Handling
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.queue import Queue
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import format_tracking_number
from khidma.core.events import EventStore, PendingEvent
from khidma.core.events.migrate import migrate_database
from khidma.core.events.transcoder import new_mapper

CENTRES = ("HMS-01", "HMS-02", "HMS-03", "DAM-01", "DAM-02")
# code, name_ar, name_en, agency, agency fee, surcharge, direct access, turnaround (working days)
SERVICES = (
    ("civil.individual_record", "بيان قيد فردي", "Individual civil record", "civil_registry",
     500, 200, True, 0),
    ("civil.birth_statement", "بيان ولادة", "Birth statement", "civil_registry",
     1500, 300, False, 3),
    ("justice.criminal_record", "سجل عدلي", "Criminal record", "justice", 2000, 300, True, 0),
    ("estate.ownership", "بيان ملكية", "Ownership statement", "real_estate",
     3000, 500, False, 5),
    ("finance.tax_clearance", "براءة ذمة مالية", "Tax clearance", "finance", 1000, 200, False, 4),
    ("council.lease_copy", "صورة عقد إيجار", "Lease contract copy", "city_council", 0, 0, False, 5),
)  # fmt: skip
BANKS = ("Commercial Bank of Syria", "Real Estate Bank", "Al Baraka Bank Syria", "Bemo")
OPEN_REQUESTS = 9_000
STEP = timedelta(seconds=4)  # ≈ 3,000 filings a day at ≈ 7 steps each
CLERK = uuid.UUID("00000000-0000-4000-8000-00000000c1e2")
START = datetime(2026, 1, 4, 8, 0, tzinfo=SYRIA_TIME)
METADATA = {"actor_role": "system", "correlation_id": "benchmarks/generate.py"}


@dataclass
class _Open:
    request: ServiceRequest
    steps: list[Callable[[ServiceRequest, datetime], None]]
    national_number: str


@dataclass
class Generator:
    """Drives aggregates and hands their events, mapped for the store, to ``write``."""

    seed: int = 1
    random: random.Random = field(init=False)
    mapper: Any = field(default_factory=new_mapper)
    calendar: WorkingCalendar = field(init=False)
    pending: list[PendingEvent] = field(default_factory=list)
    queues: dict[str, Queue] = field(default_factory=dict)
    sequence: int = 0
    now: datetime = START

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self.calendar = WorkingCalendar.create("SY", at=START)
        catalog = Catalog.create(at=START)
        for code, ar, en, agency, fee, _, direct, days in SERVICES:
            catalog.add_service(
                code=code, name_ar=ar, name_en=en, agency=agency,
                form_schema={"fields": []}, agency_fee=fee,
                handling=Handling.DIRECT if direct else Handling.REPLY_LATER,
                turnaround_days=days, collectors=[Collector.SELF],
                delivery=[Delivery.PICKUP, Delivery.POST_OFFICE], validity_days=30,
                clock_rule=ClockRule.CONTINUE, at=START,
            )  # fmt: skip
        self.take(self.calendar, catalog)

    def take(self, *aggregates: Aggregate) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                stored = self.mapper.to_stored_event(event)
                self.pending.append(
                    PendingEvent(
                        stored.originator_id, stored.originator_version, stored.topic, stored.state
                    )
                )

    def tick(self) -> datetime:
        self.now += timedelta(seconds=self.random.expovariate(1 / STEP.total_seconds()))
        if not self.calendar.is_working_day(self.now.date()) or self.now.hour >= 15:
            day = self.now.date() + timedelta(days=1)
            while not self.calendar.is_working_day(day):
                day += timedelta(days=1)
            for queue in self.queues.values():
                queue.close(self.now)
                self.take(queue)
            self.queues.clear()
            self.now = datetime(day.year, day.month, day.day, 8, 0, tzinfo=SYRIA_TIME)
        return self.now

    def ticket(self, centre: str, at: datetime) -> None:
        queue = self.queues.get(centre)
        if queue is None:
            categories = [("general", "G", "خدمات عامة", "General services")]
            queue = Queue.open(centre, at.date(), categories, counters=6, at=at)
            self.queues[centre] = queue
        number = queue.take_ticket("general", at)
        called = queue.call_next(1, CLERK, ["general"], at + timedelta(seconds=30))
        assert called == number
        queue.mark_served(number, [], at + timedelta(minutes=4), counter=1)
        self.take(queue)

    def submit(self, at: datetime) -> _Open:
        r = self.random
        code, _, _, agency, fee, surcharge, direct, days = r.choice(SERVICES)
        centre = r.choice(CENTRES)
        counter = r.random() < 0.4
        post = r.random() < 0.15
        self.sequence += 1
        number = format_tracking_number(centre[:3], at.year, self.sequence)
        national = f"{r.randrange(10**10, 10**11):011d}"
        request = ServiceRequest.submit(
            tracking_number=number, citizen_id=uuid.uuid5(uuid.NAMESPACE_OID, national),
            service_code=code, agency_code=agency, direct_access=direct,
            channel="counter" if counter else r.choice(("portal", "app")),
            origin_centre=centre if counter else None, form={"national_number": national},
            delivery="post_office" if post else "pickup",
            pickup_centre=None if post else centre, post_office="Damascus Post" if post else None,
            processing_centre=centre, collectors=["self"], turnaround_days=days,
            clock_rule="continue", validity_days=30, at=at,
        )  # fmt: skip
        if counter:
            self.ticket(centre, at)
        cal = self.calendar
        request.assess_fee(
            agency_fee=fee, surcharge=surcharge, decision_ref="COUNCIL-2025/1", on=at.date(),
            calendar=cal, at=at,
        )  # fmt: skip
        steps: list[Callable[[ServiceRequest, datetime], None]] = []
        if fee + surcharge:
            steps.append(
                lambda q, t: q.record_payment(
                    payment_ref=f"SEP-{q.tracking_number}", provider=r.choice(BANKS),
                    amount=fee + surcharge, on=t.date(), calendar=cal, at=t,
                )
            )  # fmt: skip
        steps.append(lambda q, t: q.send_to_agency(by=CLERK, at=t))
        if not direct:
            steps.append(lambda q, t: q.accept_at_agency(agency_reference=f"A-{number}", at=t))
            if r.random() < 0.1:
                steps.append(
                    lambda q, t: q.ask_for_information(
                        what="صورة الهوية / a copy of the ID", on=t.date(), calendar=cal, at=t
                    )
                )
                steps.append(
                    lambda q, t: q.provide_information(
                        answer={"id_copy": "attached"}, on=t.date(), calendar=cal, at=t
                    )
                )
        if r.random() < 0.08:
            steps.append(lambda q, t: q.reject(reason="الوثائق ناقصة / documents missing", at=t))
            if fee + surcharge:
                steps.append(lambda q, t: q.record_refund(refund_ref=f"R-{number}", at=t))
            return _Open(request, steps, national)
        steps.append(lambda q, t: q.issue(document_reference=f"DOC-{number}", at=t))
        steps.append(lambda q, t: q.certify(clerk_id=CLERK, centre=centre, at=t))
        if post:
            steps.append(
                lambda q, t: q.dispatch_by_post(postal_tracking=f"P-{number}", clerk_id=CLERK, at=t)
            )
            steps.append(lambda q, t: q.record_delivery(at=t))
        else:
            steps.append(lambda q, t: q.mark_ready(clerk_id=CLERK, on=t.date(), at=t))
            steps.append(
                lambda q, t: q.hand_over(
                    recipient="self", recipient_citizen_id=q.citizen_id,
                    recipient_national_number=national, clerk_id=CLERK, centre=centre, at=t,
                )
            )  # fmt: skip
        return _Open(request, steps, national)

    def events(self, target: int) -> Any:
        """Yield lists of events to write until about ``target`` events were produced."""
        opened: list[_Open] = []
        produced = len(self.pending)
        while produced < target:
            at = self.tick()
            if len(opened) < OPEN_REQUESTS:
                current = self.submit(at)
                opened.append(current)
            else:
                i = self.random.randrange(len(opened))
                current = opened[i]
                current.steps.pop(0)(current.request, at)
                if not current.steps:
                    opened[i] = opened[-1]
                    opened.pop()
            self.take(current.request)
            if len(self.pending) >= 2_000:
                produced += len(self.pending)
                yield self.pending
                self.pending = []
        if self.pending:
            yield self.pending
            self.pending = []


async def generate(store: EventStore, target: int, seed: int = 1) -> int:
    """Write about ``target`` events; return the head of the log."""
    started = time.perf_counter()
    written = 0
    for batch in Generator(seed).events(target):
        await store.record(batch, METADATA)
        written += len(batch)
        if written % 100_000 < len(batch):
            rate = written / (time.perf_counter() - started)
            print(f"generated {written:,} events ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    await store.sequencer.run_until_idle()
    return await store.head()


async def main(url: str, schema: str, target: int) -> None:
    settings = Settings(database_url=url, db_schema=schema)
    await migrate_database(url, settings)
    store = await EventStore.open(url, settings)
    try:
        print(await generate(store, target))
    finally:
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema", default="bench_projections")
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.schema, args.events))
