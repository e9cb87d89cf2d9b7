"""A small network set up through the admin commands: a catalog, two centres, their staff."""

from __future__ import annotations

from typing import Any

from khidma.core.app import Actor, Khidma
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff

from .conftest import admin, key

BIRTH = "civil.birth_statement"
CRIMINAL = "justice.criminal_record"
DAMASCUS, HOMS = "DAM-01", "HMS-01"
CIVIL, JUSTICE = "civil_registry", "justice"
ADMIN = admin()

FORM: dict[str, Any] = {
    "fields": [
        {
            "name": "national_number",
            "type": "digits",
            "length": 11,
            "label": {"ar": "الرقم الوطني", "en": "National number"},
        }
    ]
}


def service(**changes: Any) -> dict[str, Any]:
    """add_service's keywords for a birth statement, with ``changes``."""
    return {
        "code": BIRTH,
        "name_ar": "بيان ولادة",
        "name_en": "Birth statement",
        "agency": CIVIL,
        "form_schema": FORM,
        "agency_fee": 1500,
        "handling": "reply_later",
        "turnaround_days": 3,
        "clock_rule": "continue",
        "collectors": ["self", "first_degree_relative"],
        "delivery": ["pickup"],
        "validity_days": 30,
        **changes,
    }


def centre(code: str = DAMASCUS, **changes: Any) -> dict[str, Any]:
    """register_centre's keywords for a Damascus centre, with ``changes``."""
    return {
        "code": code,
        "name_ar": "مركز المزة",
        "name_en": "Mezzeh centre",
        "governorate": "DAM",
        "district_ar": "المزة",
        "district_en": "Mezzeh",
        "counters": 4,
        "services": [BIRTH, CRIMINAL],
        **changes,
    }


def staff_actor(number: str, role: Role, centre: str | None, agency: str | None = None) -> Actor:
    """The token of the staff member hired with ``number``."""
    return Actor(Staff.id_for(number), role, centre=centre, agency=agency)


CLERK = staff_actor("DAM-01-0001", Role.CLERK, DAMASCUS, CIVIL)
JUSTICE_CLERK = staff_actor("DAM-01-0002", Role.CLERK, DAMASCUS, JUSTICE)
SUPERVISOR = staff_actor("DAM-01-0003", Role.SUPERVISOR, DAMASCUS)
HOMS_CLERK = staff_actor("HMS-01-0001", Role.CLERK, HOMS, CIVIL)
HOMS_SUPERVISOR = staff_actor("HMS-01-0002", Role.SUPERVISOR, HOMS)


async def seed(khidma: Khidma) -> None:
    """The catalog with two services, Damascus and Homs centres, and their staff."""
    a = khidma.admin
    await a.define_catalog(ADMIN, key())
    await a.add_service(ADMIN, key(), **service())
    await a.add_service(
        ADMIN,
        key(),
        **service(
            code=CRIMINAL,
            name_ar="السجل العدلي",
            name_en="Criminal record",
            agency=JUSTICE,
            agency_fee=2000,
            handling="direct",
        ),
    )
    await a.register_centre(ADMIN, key(), **centre())
    await a.register_centre(
        ADMIN,
        key(),
        **centre(HOMS, name_ar="مركز حمص", name_en="Homs centre", governorate="HMS", counters=2),
    )
    hires = [
        ("DAM-01-0001", "clerk", DAMASCUS, CIVIL),
        ("DAM-01-0002", "clerk", DAMASCUS, JUSTICE),
        ("DAM-01-0003", "supervisor", DAMASCUS, None),
        ("HMS-01-0001", "clerk", HOMS, CIVIL),
        ("HMS-01-0002", "supervisor", HOMS, None),
    ]
    for number, role, at, agency in hires:
        await a.hire_staff(
            ADMIN,
            key(),
            staff_number=number,
            name_ar="موظف",
            name_en="Employee",
            role=role,
            employment="permanent",
            centre_code=at,
            agency_code=agency,
        )
