"""A small world for the request command tests: catalog, calendar, centres, citizens, staff.

Seeded by building domain aggregates and saving them through the runner's repository, so the
tests of submission and of the request lifecycle need nothing but the command handlers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from khidma.core.app import Actor, Khidma
from khidma.core.app.service import Requests
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog, ClockRule, Collector, Delivery, Handling
from khidma.core.domain.centre import Centre
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Employment, Staff
from khidma.core.domain.tracking import request_id
from khidma.core.events import EventStore
from khidma.core.privacy import numbers_of

SEEDED_AT = datetime(2026, 1, 5, 8, 0, tzinfo=SYRIA_TIME)

BIRTH = "civil.birth_statement"  # civil registry, replies later, 1500 SYP
CRIMINAL = "justice.criminal_record"  # justice, direct access, 2000 SYP
LEASE = "council.lease_copy"  # city council, free
ESTATE = "estate.ownership"  # real estate, offered only at DAM-01

CIVIL, JUSTICE, COUNCIL, REAL_ESTATE = "civil_registry", "justice", "city_council", "real_estate"
HOMS, DAMASCUS = "HMS-01", "DAM-01"

# Surcharges in force from 1 January 2026: Homs on every service, Damascus on birth statements.
HOMS_SURCHARGE, DAMASCUS_SURCHARGE = 500, 300

# Arabic-Indic digits, as phones type them.
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
CITIZEN_NN = "01020304050"
RELATIVE_NN = "01020304051"
OTHER_NN = "09080706050"


def label(en: str) -> dict[str, str]:
    return {"ar": "حقل", "en": en}


BIRTH_FORM: dict[str, Any] = {
    "fields": [
        {"name": "national_number", "type": "digits", "length": 11, "label": label("NN")},
        {"name": "first_name_ar", "type": "text", "max_length": 100, "label": label("Name")},
        {"name": "father_name", "type": "text", "max_length": 100, "label": label("Father")},
        {"name": "birth_date", "type": "date", "not_in_future": True, "label": label("Born")},
        {"name": "copies", "type": "integer", "min": 1, "max": 5, "label": label("Copies")},
        {
            "name": "purpose",
            "type": "choice",
            "required": False,
            "label": label("Purpose"),
            "options": [
                {"value": "travel", "label": label("Travel")},
                {"value": "work", "label": label("Work")},
            ],
        },
        {
            "name": "remarks",
            "type": "text",
            "max_length": 50,
            "required": False,
            "label": label("R"),
        },
    ]
}
SIMPLE_FORM: dict[str, Any] = {
    "fields": [
        {"name": "national_number", "type": "digits", "length": 11, "label": label("NN")},
    ]
}
LEASE_FORM: dict[str, Any] = {
    "fields": [
        {"name": "national_number", "type": "digits", "length": 11, "label": label("NN")},
        {"name": "contract_number", "type": "digits", "length": 6, "label": label("Contract")},
    ]
}


def new_catalog() -> Catalog:
    catalog = Catalog.create(at=SEEDED_AT)
    common: dict[str, Any] = {"clock_rule": ClockRule.CONTINUE, "at": SEEDED_AT}
    catalog.add_service(
        code=BIRTH, name_ar="بيان ولادة", name_en="Birth statement", agency=CIVIL,
        form_schema=BIRTH_FORM, agency_fee=1500, handling=Handling.REPLY_LATER,
        turnaround_days=3, collectors=[Collector.SELF, Collector.FIRST_DEGREE_RELATIVE],
        delivery=[Delivery.PICKUP, Delivery.POST_OFFICE, Delivery.HOME], validity_days=30,
        **common,
    )  # fmt: skip
    catalog.add_service(
        code=CRIMINAL, name_ar="سجل عدلي", name_en="Criminal record", agency=JUSTICE,
        form_schema=SIMPLE_FORM, agency_fee=2000, handling=Handling.DIRECT, turnaround_days=0,
        collectors=[Collector.SELF], delivery=[Delivery.PICKUP], validity_days=30, **common,
    )  # fmt: skip
    catalog.add_service(
        code=LEASE, name_ar="صورة عقد إيجار", name_en="Lease contract copy", agency=COUNCIL,
        form_schema=LEASE_FORM, agency_fee=0, handling=Handling.REPLY_LATER, turnaround_days=5,
        collectors=[Collector.SELF, Collector.PROXY], delivery=[Delivery.PICKUP],
        validity_days=30, **common,
    )  # fmt: skip
    catalog.add_service(
        code=ESTATE, name_ar="بيان ملكية", name_en="Ownership statement", agency=REAL_ESTATE,
        form_schema=SIMPLE_FORM, agency_fee=1000, handling=Handling.REPLY_LATER,
        turnaround_days=5, collectors=[Collector.SELF], delivery=[Delivery.PICKUP],
        validity_days=30, **common,
    )  # fmt: skip
    catalog.decide_surcharge(
        "HMS", None, HOMS_SURCHARGE, date(2026, 1, 1), "HMS-2026/1", at=SEEDED_AT
    )
    catalog.decide_surcharge(
        "DAM", BIRTH, DAMASCUS_SURCHARGE, date(2026, 1, 1), "DAM-2026/7", at=SEEDED_AT
    )
    return catalog


def new_centres() -> list[Centre]:
    homs = Centre.register(
        HOMS, "صالة الجمهور", "Public Hall", "HMS", "حمص", "Homs", counters=6,
        services=[BIRTH, CRIMINAL, LEASE], at=SEEDED_AT,
    )  # fmt: skip
    damascus = Centre.register(
        DAMASCUS, "المزة", "Mezzeh", "DAM", "المزة", "Mezzeh", counters=12,
        services=[BIRTH, CRIMINAL, LEASE, ESTATE], at=SEEDED_AT,
    )  # fmt: skip
    return [homs, damascus]


def new_citizen(
    national_number: str, *, citizen_id: uuid.UUID | None = None, complete: bool = True
) -> Citizen:
    """A citizen, not saved yet; under ``citizen_id`` (the id khidma gave the number), else a
    random id that no look-up of the number finds."""
    citizen = Citizen.register(
        national_number, "سامر", "Samer", "الحمصي", "Al-Homsi",
        citizen_id=citizen_id or uuid.uuid4(), at=SEEDED_AT,
    )  # fmt: skip
    if complete:
        citizen.complete_profile(
            father_name="خالد", mother_name="مريم", birth_date=date(1990, 4, 2),
            birth_place="حمص", registry_place="حمص", address_governorate="DAM",
            address_city="دمشق", address_street="شارع بغداد", phone="0933123456", at=SEEDED_AT,
        )  # fmt: skip
    return citizen


ADMIN_ID = uuid.uuid5(uuid.NAMESPACE_URL, "khidma:test:admin")


def new_staff(
    number: str,
    centre: str,
    agency: str | None,
    grants: tuple[str, ...] = (),
    *,
    role: Role = Role.CLERK,
) -> Staff:
    staff = Staff.hire(
        number, "موظف", "Clerk", role=role, employment=Employment.PERMANENT,
        centre_code=centre, agency_code=agency, at=SEEDED_AT,
    )  # fmt: skip
    for action in grants:
        staff.grant(f"{agency}.{action}", ADMIN_ID, SEEDED_AT)
    return staff


ALL = ("forward", "answer", "certify", "hand_over", "issue")
STAFF_SPEC: dict[str, tuple[str, str | None, tuple[str, ...], Role]] = {
    # name: (centre, agency, actions granted, role)
    "homs_civil": (HOMS, CIVIL, ALL, Role.CLERK),
    "homs_civil_bare": (HOMS, CIVIL, (), Role.CLERK),
    "homs_justice": (HOMS, JUSTICE, ALL, Role.CLERK),
    "homs_council": (HOMS, COUNCIL, ALL, Role.CLERK),
    "dam_civil": (DAMASCUS, CIVIL, ALL, Role.CLERK),
    "dam_justice": (DAMASCUS, JUSTICE, ALL, Role.CLERK),
    "dam_council": (DAMASCUS, COUNCIL, ALL, Role.CLERK),
    "dam_estate": (DAMASCUS, REAL_ESTATE, ALL, Role.CLERK),
    "homs_supervisor": (HOMS, None, (), Role.SUPERVISOR),
    "dam_supervisor": (DAMASCUS, None, (), Role.SUPERVISOR),
}


@dataclass
class World:
    """The seeded world and the command handlers over it."""

    khidma: Khidma
    store: EventStore
    requests: Requests
    citizen: Actor
    relative: Actor
    system: Actor
    staff: dict[str, Actor] = field(default_factory=dict)
    keys: int = 0

    def key(self, prefix: str = "k") -> str:
        """A fresh idempotency key."""
        self.keys += 1
        return f"{prefix}-{self.keys:06d}-{uuid.uuid4().hex[:8]}"

    def agency(self, code: str) -> Actor:
        return Actor(
            uuid.uuid5(uuid.NAMESPACE_URL, f"khidma:test:agency:{code}"), Role.AGENCY, agency=code
        )

    def actor(self, role: Role) -> Actor:
        """Someone in ``role`` with what that role normally carries (a centre, an agency)."""
        match role:
            case Role.CITIZEN:
                return self.citizen
            case Role.CLERK:
                return self.staff["homs_civil"]
            case Role.SUPERVISOR:
                return self.staff["homs_supervisor"]
            case Role.AGENCY:
                return self.agency(CIVIL)
            case Role.SYSTEM:
                return self.system
            case _:
                return Actor(uuid.uuid4(), role, centre=HOMS)

    async def citizen_id(self, national_number: str) -> uuid.UUID | None:
        """The id of the citizen with this national number; None if it has none."""
        return await numbers_of(self.store).find(national_number)

    async def load(self, tracking_number: str) -> ServiceRequest:
        """The request as the repository loads it now."""
        found = await self.khidma.runner.repository.get(request_id(tracking_number))
        assert isinstance(found, ServiceRequest)
        return found

    async def topics(self, tracking_number: str) -> list[str]:
        """The names of the request's events, in order (``Submitted``, ``FeeAssessed``…)."""
        records = await self.store.read_stream(request_id(tracking_number))
        return [r.topic.rsplit(".", 1)[-1] for r in records]

    async def written(self) -> tuple[int, int]:
        """Rows in ``events`` and ``commands``: what a refused command must leave unchanged."""
        return await self.events(), await self.commands()

    async def events(self) -> int:
        return await self.store.pool.fetchval("SELECT count(*) FROM events")

    async def commands(self) -> int:
        return await self.store.pool.fetchval("SELECT count(*) FROM commands")

    # -- shortcuts through the command path ------------------------------------------------

    async def file(
        self,
        service: str = BIRTH,
        *,
        actor: Actor | None = None,
        form: dict[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """File a request on the portal (pickup at Homs) unless told otherwise."""
        if form is None:
            form = {"copies": 1} if service == BIRTH else {}
            if service == LEASE:
                form = {"contract_number": "123456"}
        options.setdefault("delivery", "pickup")
        if options["delivery"] == "pickup":
            options.setdefault("pickup_centre", HOMS)
        return await self.requests.submit(
            actor or self.citizen, self.key("submit"), service_code=service, form=form, **options
        )

    async def pay(self, tracking_number: str, amount: int) -> dict[str, Any]:
        return await self.requests.record_payment(
            self.system,
            self.key("pay"),
            tracking_number,
            payment_ref=f"SEP-{uuid.uuid4().hex[:10]}",
            provider="Syrian e-payments",
            amount=amount,
        )

    async def issued(self, service: str = BIRTH, **options: Any) -> dict[str, Any]:
        """A request filed, paid, forwarded and issued by its agency."""
        filed = await self.file(service, **options)
        number = filed["tracking_number"]
        if filed["fee_total"]:
            await self.pay(number, filed["fee_total"])
        await self.requests.forward(self.staff["homs_civil"], self.key(), number)
        await self.requests.record_agency_answer(
            self.agency(CIVIL), self.key(), number, document_reference="CR-2026-1"
        )
        return filed


async def seed(khidma: Khidma) -> World:
    """Save the catalog, calendar, centres, citizens and staff; return the world over them."""
    runner = khidma.runner
    staff = {
        name: new_staff(f"ST-{i:04d}", *spec[:3], role=spec[3])
        for i, (name, spec) in enumerate(STAFF_SPEC.items())
    }
    numbers = numbers_of(khidma.store)
    citizens = [
        new_citizen(n, citizen_id=await numbers.ensure(n))
        for n in (CITIZEN_NN, RELATIVE_NN, OTHER_NN)
    ]
    calendar = WorkingCalendar.create("SY", at=SEEDED_AT)
    await runner.repository.save(
        new_catalog(), calendar, *new_centres(), *citizens, *staff.values()
    )
    return World(
        khidma=khidma,
        store=khidma.store,
        requests=khidma.requests,
        citizen=Actor(citizens[0].id, Role.CITIZEN, channel=Channel.PORTAL),
        relative=Actor(citizens[1].id, Role.CITIZEN, channel=Channel.APP),
        system=Actor(uuid.uuid5(uuid.NAMESPACE_URL, "khidma:test:payments"), Role.SYSTEM),
        staff={
            name: Actor(
                member.id, member.role, centre=member.centre_code, agency=member.agency_code
            )
            for name, member in staff.items()
        },
    )
