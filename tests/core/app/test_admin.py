"""Administrative commands: catalog, surcharges, holidays, centres, staff and permissions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from khidma.core.app import Khidma, NotFound
from khidma.core.app.permissions import COMMANDS
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre, OperatingStatus, PowerSource
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.events import EventStore

from .admin_world import (
    ADMIN,
    BIRTH,
    CIVIL,
    CLERK,
    CRIMINAL,
    DAMASCUS,
    HOMS,
    HOMS_SUPERVISOR,
    SUPERVISOR,
    centre,
    seed,
    service,
)
from .conftest import actor_for, admin, event_count, key

pytestmark = pytest.mark.store

ADMIN_COMMANDS = [
    "define_catalog",
    "add_service",
    "update_service",
    "withdraw_service",
    "decide_surcharge",
    "declare_holidays",
    "register_centre",
    "update_centre",
    "change_centre_status",
    "hire_staff",
    "grant_permission",
    "revoke_permission",
    "deactivate_staff",
]
LABOUR_DAY = (date(2026, 5, 1), "عيد العمال", "Labour Day")


@pytest.fixture
async def seeded(khidma: Khidma) -> Khidma:
    await seed(khidma)
    return khidma


async def load(khidma: Khidma, kind: type[Any], aggregate_id: Any) -> Any:
    found = await khidma.runner.repository.get(aggregate_id)
    assert isinstance(found, kind)
    return found


async def refused(khidma: Khidma, store: EventStore, call: Any, field: str) -> None:
    """``call`` raises a ValidationError naming ``field`` and writes nothing."""
    before = await event_count(store)
    with pytest.raises(ValidationError) as error:
        await call
    assert error.value.field == field, error.value
    assert await event_count(store) == before


# -- the catalog ---------------------------------------------------------------------------------


async def test_define_catalog_once(khidma: Khidma, store: EventStore) -> None:
    first = await khidma.admin.define_catalog(ADMIN, key())
    assert first["created"] is True and first["name"] == "national"
    again = await khidma.admin.define_catalog(admin(), key())
    assert again["created"] is False and again["catalog_id"] == first["catalog_id"]
    assert await event_count(store) == 1


async def test_services_need_the_catalog(khidma: Khidma, store: EventStore) -> None:
    with pytest.raises(NotFound):
        await khidma.admin.add_service(ADMIN, key(), **service())
    assert await event_count(store) == 0


async def test_add_update_and_withdraw_a_service(seeded: Khidma) -> None:
    a = seeded.admin
    added = await a.add_service(ADMIN, key(), **service(code="civil.marriage", agency_fee=0))
    assert added == {
        "service_code": "civil.marriage",
        "agency": CIVIL,
        "agency_fee": 0,
        "withdrawn": False,
    }
    updated = await a.update_service(ADMIN, key(), "civil.marriage", agency_fee=2500)
    assert updated["agency_fee"] == 2500
    withdrawn = await a.withdraw_service(ADMIN, key(), "civil.marriage")
    assert withdrawn["withdrawn"] is True
    catalog = await load(seeded, Catalog, Catalog.id_for())
    assert [s.code for s in catalog.offered()] == [BIRTH, CRIMINAL]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": BIRTH}, "code"),
        ({"code": "Birth Statement"}, "code"),
        ({"agency_fee": -1}, "agency_fee"),
        ({"agency_fee": 1.5}, "agency_fee"),
        ({"handling": "eventually"}, "handling"),
        ({"name_en": "x" * 201}, "name.en"),
        ({"delivery": []}, "delivery"),
        ({"validity_days": 0}, "validity_days"),
    ],
)
async def test_bad_services_name_the_field(
    seeded: Khidma, store: EventStore, changes: dict[str, Any], field: str
) -> None:
    definition = service(**{"code": "civil.other", **changes})
    await refused(seeded, store, seeded.admin.add_service(ADMIN, key(), **definition), field)


async def test_bad_service_updates_name_the_field(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    await refused(seeded, store, a.update_service(ADMIN, key(), BIRTH, colour="red"), "colour")
    await refused(seeded, store, a.update_service(ADMIN, key(), "civil.nope", agency_fee=1), "code")
    await a.withdraw_service(ADMIN, key(), BIRTH)
    await refused(seeded, store, a.withdraw_service(ADMIN, key(), BIRTH), "code")


async def test_surcharge_decisions(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    result = await a.decide_surcharge(
        ADMIN,
        key(),
        governorate="Homs",
        amount_syp=500,
        effective_from=date(2026, 4, 1),
        decision_ref="HMS-2026/3",
    )
    assert result == {
        "governorate": "HMS",
        "service_code": None,
        "amount_syp": 500,
        "effective_from": "2026-04-01",
        "decision_ref": "HMS-2026/3",
    }
    catalog = await load(seeded, Catalog, Catalog.id_for())
    assert catalog.assess_fee(BIRTH, "HMS", date(2026, 3, 31)).total == 1500
    assert catalog.assess_fee(BIRTH, "HMS", date(2026, 4, 1)).total == 2000
    decision = {
        "governorate": "HMS",
        "amount_syp": 100,
        "effective_from": date(2026, 5, 1),
        "decision_ref": "HMS-2026/4",
    }
    for changes, field in [
        ({"decision_ref": "HMS-2026/3"}, "decision_ref"),
        ({"amount_syp": -5}, "amount_syp"),
        ({"amount_syp": 10.5}, "amount_syp"),
        ({"governorate": "Atlantis"}, "governorate"),
        ({"effective_from": "2026-05-01"}, "effective_from"),
        ({"service_code": "civil.nope"}, "service_code"),
    ]:
        call = a.decide_surcharge(ADMIN, key(), **{**decision, **changes})
        await refused(seeded, store, call, field)


async def test_declare_holidays_creates_the_calendar(khidma: Khidma, store: EventStore) -> None:
    a = khidma.admin
    result = await a.declare_holidays(ADMIN, key(), year=2026, holidays=[LABOUR_DAY])
    assert result == {"year": 2026, "holidays": ["2026-05-01"]}
    assert await event_count(store) == 2  # created, then declared
    await a.declare_holidays(
        ADMIN, key(), year=2027, holidays=[(date(2027, 1, 1), "رأس السنة", "New Year")]
    )
    calendar = await load(khidma, WorkingCalendar, WorkingCalendar.id_for())
    assert not calendar.is_working_day(date(2026, 5, 1))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2026, 5, 3))
    wrong_year = [(date(2027, 5, 1), "عيد العمال", "Labour Day")]
    await refused(
        khidma,
        store,
        a.declare_holidays(ADMIN, key(), year=2026, holidays=wrong_year),
        "holidays[0].date",
    )
    await refused(khidma, store, a.declare_holidays(ADMIN, key(), year=1800, holidays=[]), "year")


async def test_bad_holidays_on_first_use_create_no_calendar(
    khidma: Khidma, store: EventStore
) -> None:
    bad = [(date(2026, 5, 1), "", "Labour Day")]
    call = khidma.admin.declare_holidays(ADMIN, key(), year=2026, holidays=bad)
    await refused(khidma, store, call, "holidays[0].name.ar")


# -- centres -------------------------------------------------------------------------------------


async def test_register_a_centre(seeded: Khidma, store: EventStore) -> None:
    result = await seeded.admin.register_centre(
        ADMIN, key(), **centre("dam-02", services=[BIRTH], direct_agencies=[CIVIL])
    )
    assert result == {
        "centre_id": str(Centre.id_for("DAM-02")),
        "code": "DAM-02",
        "status": "open",
        "counters": 4,
        "services": [BIRTH],
        "direct_agencies": [CIVIL],
    }
    found = await load(seeded, Centre, Centre.id_for("DAM-02"))
    assert found.hours["sunday"] == ("08:00", "15:00") and "friday" not in found.hours


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": DAMASCUS}, "code"),
        ({"code": "DAM 02"}, "code"),
        ({"services": ["civil.nope"]}, "services"),
        ({"services": BIRTH}, "services"),
        ({"counters": 0}, "counters"),
        ({"counters": 201}, "counters"),
        ({"governorate": "Atlantis"}, "governorate"),
        ({"name_ar": ""}, "name.ar"),
        ({"hours": {"sunday": ("15:00", "08:00")}}, "hours.sunday"),
        ({"hours": {"someday": ("08:00", "15:00")}}, "hours"),
    ],
)
async def test_bad_centres_name_the_field(
    seeded: Khidma, store: EventStore, changes: dict[str, Any], field: str
) -> None:
    call = seeded.admin.register_centre(ADMIN, key(), **{**centre("DAM-02"), **changes})
    await refused(seeded, store, call, field)


async def test_a_centre_offers_no_withdrawn_service(seeded: Khidma, store: EventStore) -> None:
    await seeded.admin.withdraw_service(ADMIN, key(), CRIMINAL)
    call = seeded.admin.register_centre(ADMIN, key(), **centre("DAM-02"))
    await refused(seeded, store, call, "services")


async def test_update_a_centre(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    await a.add_service(ADMIN, key(), **service(code="civil.marriage"))
    result = await a.update_centre(
        ADMIN,
        key(),
        DAMASCUS,
        name_en="Mezzeh citizen service centre",
        counters=12,
        offer=["civil.marriage"],
        withdraw=[CRIMINAL],
        reach_directly=[CIVIL],
        hours={"sunday": ("08:00", "14:00"), "monday": ("08:00", "14:00")},
    )
    assert result["counters"] == 12
    assert result["services"] == [BIRTH, "civil.marriage"]
    assert result["direct_agencies"] == [CIVIL]
    found = await load(seeded, Centre, Centre.id_for(DAMASCUS))
    assert (found.name_ar, found.name_en) == ("مركز المزة", "Mezzeh citizen service centre")
    assert list(found.hours) == ["monday", "sunday"]
    await a.update_centre(ADMIN, key(), DAMASCUS, stop_reaching=[CIVIL])
    before = await event_count(store)
    await a.update_centre(ADMIN, key(), DAMASCUS, counters=12)  # already so: nothing recorded
    assert await event_count(store) == before


async def test_bad_centre_updates(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    for changes, field in [
        ({}, "changes"),
        ({"offer": ["civil.nope"]}, "offer"),
        ({"offer": BIRTH}, "offer"),
        ({"offer": [BIRTH], "withdraw": [BIRTH]}, "withdraw"),
        ({"reach_directly": ["a b"]}, "reach_directly"),
        ({"counters": -1}, "counters"),
        ({"hours": {"monday": ("8", "15")}}, "hours.monday.opens"),
        ({"counters": 6, "hours": {"monday": ("09:00", "08:00")}}, "hours.monday"),
    ]:
        await refused(seeded, store, a.update_centre(ADMIN, key(), DAMASCUS, **changes), field)
    with pytest.raises(NotFound):
        await a.update_centre(ADMIN, key(), "DAM-99", counters=3)


async def test_operating_status(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    result = await a.change_centre_status(
        SUPERVISOR, key(), DAMASCUS, status="degraded", power_source="generator"
    )
    assert result["status"] == "degraded"
    await a.change_centre_status(ADMIN, key(), HOMS, status="closed", reason="لا كهرباء")
    homs = await load(seeded, Centre, Centre.id_for(HOMS))
    assert (homs.status, homs.power_source) == (OperatingStatus.CLOSED, None)
    damascus = await load(seeded, Centre, Centre.id_for(DAMASCUS))
    assert damascus.power_source is PowerSource.GENERATOR
    before = await event_count(store)
    with pytest.raises(NotAllowed, match="DAM-01, not HMS-01"):
        await a.change_centre_status(SUPERVISOR, key(), HOMS, status="open")
    assert await event_count(store) == before
    call = a.change_centre_status(HOMS_SUPERVISOR, key(), HOMS, status="closed")
    await refused(seeded, store, call, "reason")
    call = a.change_centre_status(ADMIN, key(), HOMS, status="degraded", power_source="grid")
    await refused(seeded, store, call, "power_source")


# -- staff ---------------------------------------------------------------------------------------


async def test_hire_staff(seeded: Khidma, store: EventStore) -> None:
    hired = await seeded.admin.hire_staff(
        ADMIN,
        key(),
        staff_number="hms-01-0003",
        name_ar="ليلى",
        name_en="Layla",
        role="clerk",
        employment="seasonal",
        centre_code=HOMS,
        agency_code="justice",
    )
    assert hired == {
        "staff_id": str(Staff.id_for("HMS-01-0003")),
        "staff_number": "HMS-01-0003",
        "role": "clerk",
        "centre_code": HOMS,
        "agency_code": "justice",
        "active": True,
        "permissions": [],
    }
    person: dict[str, Any] = {
        "staff_number": "HMS-01-0004",
        "name_ar": "ليلى",
        "name_en": "Layla",
        "role": "clerk",
        "employment": "permanent",
        "centre_code": HOMS,
        "agency_code": CIVIL,
    }
    for changes, field in [
        ({"staff_number": "HMS-01-0003"}, "staff_number"),
        ({"staff_number": "HMS 01"}, "staff_number"),
        ({"centre_code": "HMS-09"}, "centre_code"),
        ({"agency_code": None}, "agency_code"),
        ({"role": "citizen"}, "role"),
        ({"role": "supervisor"}, "agency_code"),
        ({"role": "supervisor", "agency_code": None, "centre_code": None}, "centre_code"),
        ({"employment": "forever"}, "employment"),
    ]:
        await refused(
            seeded, store, seeded.admin.hire_staff(ADMIN, key(), **{**person, **changes}), field
        )


async def test_permissions_are_granted_and_revoked(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    granted = await a.grant_permission(
        SUPERVISOR, key(), staff_number="DAM-01-0001", permission="civil_registry.issue"
    )
    assert granted["permissions"] == ["civil_registry.issue"]
    await a.grant_permission(
        ADMIN, key(), staff_number="DAM-01-0001", permission="civil_registry.answer"
    )
    revoked = await a.revoke_permission(
        SUPERVISOR,
        key(),
        staff_number="DAM-01-0001",
        permission="civil_registry.issue",
        reason="moved to the back office",
    )
    assert revoked["permissions"] == ["civil_registry.answer"]
    clerk = await load(seeded, Staff, CLERK.id)
    assert clerk.has("civil_registry.answer") and not clerk.has("civil_registry.issue")
    for permission, field in [("justice.issue", "permission"), ("issue", "permission")]:
        call = a.grant_permission(ADMIN, key(), staff_number="DAM-01-0001", permission=permission)
        await refused(seeded, store, call, field)
    call = a.revoke_permission(
        ADMIN, key(), staff_number="DAM-01-0001", permission="civil_registry.answer", reason=""
    )
    await refused(seeded, store, call, "reason")


async def test_supervisors_manage_only_their_centre(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    before = await event_count(store)
    attempts = [
        a.grant_permission(
            HOMS_SUPERVISOR, key(), staff_number="DAM-01-0001", permission="civil_registry.issue"
        ),
        a.revoke_permission(
            HOMS_SUPERVISOR,
            key(),
            staff_number="DAM-01-0001",
            permission="civil_registry.issue",
            reason="no",
        ),
        a.deactivate_staff(HOMS_SUPERVISOR, key(), staff_number="DAM-01-0001", reason="no"),
    ]
    for call in attempts:
        with pytest.raises(NotAllowed, match="works at DAM-01"):
            await call
    assert await event_count(store) == before
    with pytest.raises(NotAllowed, match="themselves"):
        await a.grant_permission(
            SUPERVISOR, key(), staff_number="DAM-01-0003", permission="justice.query"
        )
    with pytest.raises(NotFound):
        await a.deactivate_staff(ADMIN, key(), staff_number="DAM-01-0999", reason="left")


async def test_deactivation_revokes_every_permission(seeded: Khidma, store: EventStore) -> None:
    a = seeded.admin
    for permission in ("civil_registry.issue", "civil_registry.answer"):
        await a.grant_permission(ADMIN, key(), staff_number="DAM-01-0001", permission=permission)
    before = await event_count(store)
    result = await a.deactivate_staff(
        SUPERVISOR, key(), staff_number="DAM-01-0001", reason="end of contract"
    )
    assert (result["active"], result["permissions"]) == (False, [])
    assert await event_count(store) == before + 3  # two revocations, then deactivated
    with pytest.raises(InvalidTransition):
        await a.grant_permission(
            ADMIN, key(), staff_number="DAM-01-0001", permission="civil_registry.issue"
        )


# -- idempotency ---------------------------------------------------------------------------------


async def test_a_retry_returns_the_first_result_and_writes_nothing(
    seeded: Khidma, store: EventStore
) -> None:
    same = key()
    definition = service(code="civil.marriage")
    first = await seeded.admin.add_service(ADMIN, same, **definition)
    before = await event_count(store)
    # Run again it would be refused ("already in the catalog"); retried, it answers as before.
    assert await seeded.admin.add_service(ADMIN, same, **definition) == first
    assert await event_count(store) == before


async def test_a_key_is_for_one_command_of_one_actor(seeded: Khidma, store: EventStore) -> None:
    same = key()
    await seeded.admin.update_centre(ADMIN, same, DAMASCUS, counters=7)
    before = await event_count(store)
    with pytest.raises(NotAllowed, match="another command or actor"):
        await seeded.admin.update_centre(admin(), same, DAMASCUS, counters=7)
    with pytest.raises(NotAllowed, match="another command or actor"):
        await seeded.admin.change_centre_status(ADMIN, same, DAMASCUS, status="open")
    assert await event_count(store) == before


# -- the role table ------------------------------------------------------------------------------


async def prepare(khidma: Khidma, command: str, i: int) -> None:
    """What ``command`` needs in place for attempt ``i`` (done by an admin)."""
    a = khidma.admin
    if command == "withdraw_service":
        await a.add_service(ADMIN, key(), **service(code=f"civil.gone_{i}"))
    if command in ("grant_permission", "revoke_permission", "deactivate_staff"):
        number = f"DAM-01-02{i:02d}"
        await a.hire_staff(
            ADMIN,
            key(),
            staff_number=number,
            name_ar="موظف",
            name_en="Employee",
            role="clerk",
            employment="permanent",
            centre_code=DAMASCUS,
            agency_code=CIVIL,
        )
        if command != "grant_permission":
            await a.grant_permission(
                ADMIN, key(), staff_number=number, permission="civil_registry.issue"
            )


async def attempt(khidma: Khidma, command: str, who: Any, i: int) -> dict[str, Any]:
    """Run ``command`` as ``who`` with data of its own for attempt ``i``."""
    a = khidma.admin
    number = f"DAM-01-02{i:02d}"
    calls = {
        "define_catalog": lambda: a.define_catalog(who, key()),
        "add_service": lambda: a.add_service(who, key(), **service(code=f"civil.extra_{i}")),
        "update_service": lambda: a.update_service(who, key(), BIRTH, agency_fee=1000 + i),
        "withdraw_service": lambda: a.withdraw_service(who, key(), f"civil.gone_{i}"),
        "decide_surcharge": lambda: a.decide_surcharge(
            who,
            key(),
            governorate="DAM",
            amount_syp=100 * i,
            effective_from=date(2026, 6, 1),
            decision_ref=f"DAM-2026/{i}",
        ),
        "declare_holidays": lambda: a.declare_holidays(
            who, key(), year=2020 + i, holidays=[(date(2020 + i, 5, 1), "عيد", "Holiday")]
        ),
        "register_centre": lambda: a.register_centre(who, key(), **centre(f"DAM-1{i}")),
        "update_centre": lambda: a.update_centre(who, key(), DAMASCUS, counters=5 + i),
        "change_centre_status": lambda: a.change_centre_status(
            who,
            key(),
            DAMASCUS,
            status="degraded",
            power_source="generator" if i % 2 else "solar",
        ),
        "hire_staff": lambda: a.hire_staff(
            who,
            key(),
            staff_number=f"DAM-01-01{i:02d}",
            name_ar="موظف",
            name_en="Employee",
            role="supervisor",
            employment="temporary",
            centre_code=DAMASCUS,
        ),
        "grant_permission": lambda: a.grant_permission(
            who, key(), staff_number=number, permission="civil_registry.issue"
        ),
        "revoke_permission": lambda: a.revoke_permission(
            who, key(), staff_number=number, permission="civil_registry.issue", reason="audit"
        ),
        "deactivate_staff": lambda: a.deactivate_staff(
            who, key(), staff_number=number, reason="left"
        ),
    }
    return await calls[command]()


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_roles_follow_the_permission_table(
    khidma: Khidma, store: EventStore, command: str
) -> None:
    if command != "define_catalog":  # defining the catalog again would record nothing
        await seed(khidma)
    seeded = khidma
    for i, role in enumerate(Role):
        await prepare(seeded, command, i)
        who = actor_for(role, centre=DAMASCUS)
        before = await event_count(store)
        if role in COMMANDS[command]:
            await attempt(seeded, command, who, i)
            assert await event_count(store) > before, role
        else:
            with pytest.raises(NotAllowed, match="role may not do this"):
                await attempt(seeded, command, who, i)
            assert await event_count(store) == before


def test_the_table_names_every_admin_command() -> None:
    assert set(ADMIN_COMMANDS) <= set(COMMANDS)
    for command in ADMIN_COMMANDS:
        assert Role.ADMIN in COMMANDS[command]
