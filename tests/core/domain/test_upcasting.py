"""Events stored in an earlier shape still load: FeeAssessed version 1 → version 2."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import format_tracking_number
from khidma.core.events import AggregateRepository, EventStore, PendingEvent
from khidma.core.events.transcoder import new_mapper

AT = datetime(2025, 3, 2, 9, 30, tzinfo=UTC)


def submitted_and_assessed() -> ServiceRequest:
    request = ServiceRequest.submit(
        tracking_number=format_tracking_number("HMS", 2025, 17),
        citizen_id=uuid4(),
        service_code="finance.tax_clearance",
        agency_code="finance",
        direct_access=False,
        channel="portal",
        origin_centre=None,
        form={},
        delivery="pickup",
        pickup_centre="HMS-01",
        collectors=["self"],
        turnaround_days=5,
        clock_rule="continue",
        validity_days=30,
        at=AT,
    )
    calendar = WorkingCalendar.create("SY", at=AT)
    request.assess_fee(
        agency_fee=3000,
        surcharge=500,
        decision_ref="HMS-2025-12",
        on=AT.date(),
        calendar=calendar,
        at=AT,
    )
    return request


def as_version_1(stored: StoredEvent) -> StoredEvent:
    """The same event as khidma wrote it before fees were split: one figure, no version."""
    state = orjson.loads(stored.state)
    for name in (
        "class_version",
        "agency_fee",
        "surcharge",
        "decision_ref",
        "assessed_on",
        "clock",
    ):
        state.pop(name)
    return StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, orjson.dumps(state)
    )


def test_a_version_1_fee_event_loads_as_version_2() -> None:
    mapper = new_mapper()
    request = submitted_and_assessed()
    stored = [mapper.to_stored_event(e) for e in request.collect_events()]
    assert orjson.loads(stored[1].state)["class_version"] == 2
    old = [stored[0], as_version_1(stored[1])]
    assert b"agency_fee" not in old[1].state
    replayed = None
    for event in map(mapper.to_domain_event, old):
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert replayed.fee == {
        "agency_fee": 3500,
        "surcharge": 0,
        "total": 3500,
        "decision_ref": None,
        "assessed_on": AT.date(),
    }
    assert replayed.status.value == "awaiting_payment"


def test_version_2_events_are_written_and_read_unchanged() -> None:
    mapper = new_mapper()
    request = submitted_and_assessed()
    replayed = None
    for event in request.collect_events():
        replayed = mapper.to_domain_event(mapper.to_stored_event(event)).mutate(replayed)
    assert vars(replayed) == vars(request)


@pytest.mark.store
async def test_version_1_events_in_the_store_still_load(store: EventStore) -> None:
    repository = AggregateRepository(store)
    request = submitted_and_assessed()
    stored = [repository.mapper.to_stored_event(e) for e in request.collect_events()]
    old = [stored[0], as_version_1(stored[1])]
    await store.record(
        [PendingEvent(request.id, s.originator_version, s.topic, s.state) for s in old]
    )
    loaded = await repository.get(request.id)
    assert isinstance(loaded, ServiceRequest)
    assert loaded.fee is not None and loaded.fee["agency_fee"] == 3500


def test_a_submissions_events_keep_the_topics_stored_before() -> None:
    """Topics are part of what is stored: however an event is triggered, its topic stays."""
    mapper = new_mapper()
    topics = [mapper.to_stored_event(e).topic for e in submitted_and_assessed().pending_events]
    assert topics == [
        "khidma.core.domain.request:ServiceRequest.Submitted",
        "khidma.core.domain.request_agency:RequestAtAgency.FeeAssessed",
    ]
