"""The demo data: loaded through the command handlers, idempotently, and as documented."""

from __future__ import annotations

from datetime import date

import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import DemoSummary, load_demo
from khidma.core.app.demo_catalog import HOLIDAYS, SERVICES
from khidma.core.app.demo_data import CENTRES, CITIZENS, QUEUES, SCENARIOS, STAFF
from khidma.core.app.requests import AGENCY_ACTIONS
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre, OperatingStatus, PowerSource
from khidma.core.domain.forms import FormSchema, validate_schema
from khidma.core.domain.queue import Queue
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.staff import Staff
from khidma.core.domain.tracking import request_id
from khidma.core.events import EventStore

from .conftest import START, event_count

pytestmark = pytest.mark.store

STATES = {
    "submitted",
    "awaiting_payment",
    "paid",
    "agency_processing",
    "ready_for_pickup",
    "collected",
    "rejected",
    "dispatched",
}


@pytest.fixture
async def loaded(khidma: Khidma) -> DemoSummary:
    return await load_demo(khidma)


async def test_a_second_load_writes_nothing(
    khidma: Khidma, store: EventStore, loaded: DemoSummary
) -> None:
    assert loaded.events_written == await event_count(store) > 500
    again = await load_demo(khidma)
    assert again.events_written == 0
    assert await event_count(store) == loaded.events_written
    assert again == DemoSummary(**{**vars(loaded), "events_written": 0})
    assert "nothing new written" in "\n".join(again.lines())
    numbers = await store.pool.fetchval("SELECT count(*) FROM citizen_numbers")
    assert numbers == len(loaded.citizen_ids) == len(CITIZENS)  # the same ids, none new


async def test_the_counts_are_as_documented(khidma: Khidma, loaded: DemoSummary) -> None:
    assert (loaded.centres, loaded.services, loaded.citizens) == (12, 15, 5)
    assert (loaded.clerks, loaded.supervisors, loaded.staff) == (79, 12, 91)
    assert sorted(r.status for r in loaded.requests) == sorted(STATES)
    assert loaded.tickets == {"HMS-01": 6, "DAM-02": 5}
    assert loaded.today == START.date()
    repository = khidma.runner.repository
    catalog = await repository.get(Catalog.id_for())
    assert len(catalog.offered()) == len(SERVICES) == 15
    codes = [c["code"] for c in CENTRES]
    assert codes == [f"HMS-0{n}" for n in range(1, 8)] + [f"DAM-0{n}" for n in range(1, 6)]
    centres = {code: await repository.get(Centre.id_for(code)) for code in codes}
    assert (centres["DAM-02"].counters, centres["DAM-03"].counters) == (12, 11)
    corniche = centres["HMS-07"]
    assert (corniche.status, corniche.power_source) == (OperatingStatus.DEGRADED, PowerSource.SOLAR)
    assert [c.code for c in centres.values() if c.status is not OperatingStatus.OPEN] == ["HMS-07"]
    for centre in centres.values():
        assert centre.name_ar and centre.name_en and centre.district_ar and centre.district_en
        assert set(centre.hours) == {"sunday", "monday", "tuesday", "wednesday", "thursday"}
        assert "civil_registry" in centre.direct_agencies
    for entry in CITIZENS:
        citizen = await repository.get(loaded.citizen_ids[entry["national_number"]])
        assert citizen.is_complete and citizen.national_number == entry["national_number"]
    for code in QUEUES:
        queue = await repository.get(Queue.id_for(code, START.date()))
        assert len(queue.tickets) == loaded.tickets[code]


async def test_requests_are_in_their_states(khidma: Khidma, loaded: DemoSummary) -> None:
    by_state = {r.status: r.tracking_number for r in loaded.requests}
    for scenario in SCENARIOS:
        request = await khidma.runner.repository.get(request_id(by_state[scenario.until]))
        assert isinstance(request, ServiceRequest)
        assert (request.service_code, request.status.value) == (scenario.service, scenario.until)
        assert request.citizen_id == loaded.citizen_ids[scenario.national_number]
    rejected = await khidma.runner.repository.get(request_id(by_state["rejected"]))
    assert "not yet final" in rejected.rejection_reason
    # Filed in March 2026: Homs' 2026 decision (750), Damascus' 2025 one (400), bills exempt.
    ready = await khidma.runner.repository.get(request_id(by_state["ready_for_pickup"]))
    assert ready.fee["surcharge"] == 750
    paid = await khidma.runner.repository.get(request_id(by_state["paid"]))
    assert paid.fee["surcharge"] == 400
    bill = await khidma.runner.repository.get(request_id(by_state["submitted"]))
    assert bill.fee["total"] == 0


async def test_every_service_form_schema_validates(khidma: Khidma, loaded: DemoSummary) -> None:
    catalog = await khidma.runner.repository.get(Catalog.id_for())
    for service in SERVICES:
        assert FormSchema.from_dict(service["form_schema"]).fields
        stored = catalog.service(service["code"])
        assert stored.form_schema == validate_schema(service["form_schema"])
        assert stored.handling.value == service["handling"]
        assert stored.agency_fee >= 0 and stored.turnaround_days >= 0
    direct = {s["agency"] for s in SERVICES if s["handling"] == "direct"}
    assert direct == {"civil_registry", "city_council", "utilities"}


async def test_every_clerk_holds_its_permissions(khidma: Khidma, loaded: DemoSummary) -> None:
    handled = {s["agency"]: s["handling"] for s in SERVICES}
    for member in STAFF:
        staff = await khidma.runner.repository.get(Staff.id_for(member.staff_number))
        assert isinstance(staff, Staff) and staff.active
        assert (staff.role.value, staff.centre_code) == (member.role, member.centre_code)
        assert staff.agency_code == member.agency_code
        if member.role == "supervisor":
            assert staff.permissions == ()
            continue
        agency = member.agency_code
        needed = {f"{agency}.{action}" for action in AGENCY_ACTIONS.values()}
        if handled[agency] == "direct":
            needed.add(f"{agency}.issue")
        assert set(staff.permissions) == needed
    for centre in CENTRES:
        agencies = {s["agency"] for s in SERVICES if s["code"] in centre["services"]}
        serving = {m.agency_code for m in STAFF if m.centre_code == centre["code"]} - {None}
        assert serving == agencies, centre["code"]


async def test_the_working_calendar_holds_2026s_holidays(
    khidma: Khidma, loaded: DemoSummary
) -> None:
    calendar = await khidma.runner.repository.get(WorkingCalendar.id_for())
    declared = calendar.holidays_in(2026)
    assert [h.on for h in declared] == sorted(on for on, _, _ in HOLIDAYS)
    assert not calendar.is_working_day(date(2026, 5, 1))  # Labour Day, a Friday anyway
    assert not calendar.is_working_day(date(2026, 4, 12))  # Eastern Easter: a Sunday
    assert calendar.is_working_day(date(2026, 4, 13))
