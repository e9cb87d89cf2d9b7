"""The demo: DOMAIN.md's centres, services, staff and a few citizens, loaded through the handlers.

Every command carries a fixed idempotency key (``demo:centre:HMS-01``…), so loading again
returns the first results and writes nothing. Queues are today's: a load on a later day opens
that day's queues (and writes only those).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple
from uuid import UUID, uuid5

from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.privacy import numbers_of

from . import lookups
from .actor import Actor
from .demo_catalog import HOLIDAY_YEAR, HOLIDAYS, SERVICES, SURCHARGES
from .demo_data import (
    CENTRES,
    CITIZENS,
    DEGRADED,
    QUEUES,
    REJECTION,
    SCENARIOS,
    STAFF,
    Member,
    Scenario,
    clerk_of,
)
from .runner import Result
from .service import Khidma

_NAMESPACE = UUID("6d1f3c2e-0b7a-4c59-9e1d-2a8f4b6c7d30")
ADMIN = Actor(UUID("00000000-0000-4000-8000-00000000ad01"), Role.ADMIN)
PAYMENTS = Actor(UUID("00000000-0000-4000-8000-0000000005e9"), Role.SYSTEM)
BANKS = (
    "Commercial Bank of Syria",
    "Real Estate Bank",
    "Al Baraka Bank Syria",
    "Bemo Saudi Fransi",
    "Syria International Islamic Bank",
)
PARALLEL = 8  # staff members hired (and granted permissions) at once; each is its own stream
_SERVICES = {s["code"]: s for s in SERVICES}


def staff_actor(member: Member) -> Actor:
    """The token of a demo staff member."""
    return Actor(
        Staff.id_for(member.staff_number),
        Role(member.role),
        centre=member.centre_code,
        agency=member.agency_code,
    )


async def citizen_actor(khidma: Khidma, national_number: str, channel: str = "portal") -> Actor:
    """The token of a demo citizen. The demo stands in for the identity provider, which asks
    khidma for the id of the citizen's number (made before they register) and carries it."""
    citizen_id = await numbers_of(khidma.store).ensure(national_number)
    return Actor(citizen_id, Role.CITIZEN, channel=Channel(channel))


def kiosk(centre: str) -> Actor:
    """A centre's ticket kiosk: khidma's own worker, bound to the centre."""
    return Actor(uuid5(_NAMESPACE, f"kiosk:{centre}"), Role.SYSTEM, centre=centre)


class Filed(NamedTuple):
    """A demo request: its tracking number, where it stands, the service, the citizen."""

    tracking_number: str
    status: str
    service: str
    national_number: str


@dataclass
class DemoSummary:
    """What the demo holds, and how many events this load wrote (0 when it was loaded already)."""

    centres: int
    services: int
    clerks: int
    supervisors: int
    citizens: int
    requests: list[Filed] = field(default_factory=list)
    tickets: dict[str, int] = field(default_factory=dict)  # centre → tickets taken today
    today: date | None = None
    events_written: int = 0
    citizen_ids: dict[str, UUID] = field(default_factory=dict)  # national number → citizen id

    @property
    def staff(self) -> int:
        return self.clerks + self.supervisors

    def lines(self) -> list[str]:
        """A short summary in Arabic and English."""
        queues = ", ".join(f"{c}: {n}" for c, n in self.tickets.items())
        out = [
            "khidma demo — بيانات تجريبية",
            f"  centres / المراكز: {self.centres}",
            f"  services / الخدمات: {self.services}",
            f"  staff / الموظفون: {self.staff} ({self.clerks} clerks / موظفو المكاتب الأمامية,"
            f" {self.supervisors} supervisors / مشرفون)",
            f"  citizens / المواطنون: {self.citizens}",
            f"  requests / المعاملات: {len(self.requests)}",
            *(
                f"    {r.tracking_number}  {r.status:<17} {r.service:<29} {r.national_number}"
                for r in self.requests
            ),
            f"  tickets in today's queues / بطاقات الدور اليوم ({self.today}): {queues}",
        ]
        if self.events_written:
            out.append(f"  events written / أحداث مكتوبة: {self.events_written}")
        else:
            out.append("  nothing new written: already loaded / لم يُكتب شيء جديد: محمّلة سابقاً")
        return out


async def load_demo(khidma: Khidma) -> DemoSummary:
    """Load (or find already loaded) the whole demo; see the module docstring."""
    before = await _events(khidma)
    await _catalog(khidma)
    await _centres(khidma)
    await _staff(khidma)
    await _citizens(khidma)
    requests = {s.key: await _file(khidma, s) for s in SCENARIOS}
    today = lookups.today(khidma.runner.clock())
    numbers = {key: filed.tracking_number for key, filed in requests.items()}
    tickets = {centre: await _queue(khidma, centre, today, numbers) for centre in QUEUES}
    return DemoSummary(
        centres=len(CENTRES),
        services=len(SERVICES),
        clerks=sum(1 for m in STAFF if m.role == "clerk"),
        supervisors=sum(1 for m in STAFF if m.role == "supervisor"),
        citizens=len(CITIZENS),
        requests=list(requests.values()),
        tickets=tickets,
        today=today,
        events_written=await _events(khidma) - before,
        citizen_ids={c["national_number"]: await _citizen_id(khidma, c) for c in CITIZENS},
    )


async def _citizen_id(khidma: Khidma, entry: dict[str, Any]) -> UUID:
    return (await citizen_actor(khidma, entry["national_number"])).id


async def _events(khidma: Khidma) -> int:
    return int(await khidma.store.pool.fetchval("SELECT count(*) FROM events"))


async def _catalog(khidma: Khidma) -> None:
    admin = khidma.admin
    await admin.define_catalog(ADMIN, "demo:catalog")
    for service in SERVICES:
        await admin.add_service(ADMIN, f"demo:service:{service['code']}", **service)
    for governorate, service_code, amount, effective_from, ref in SURCHARGES:
        await admin.decide_surcharge(
            ADMIN,
            f"demo:surcharge:{ref}",
            governorate=governorate,
            amount_syp=amount,
            effective_from=effective_from,
            decision_ref=ref,
            service_code=service_code,
        )
    await admin.declare_holidays(
        ADMIN, f"demo:holidays:{HOLIDAY_YEAR}", year=HOLIDAY_YEAR, holidays=HOLIDAYS
    )


async def _centres(khidma: Khidma) -> None:
    for centre in CENTRES:
        await khidma.admin.register_centre(ADMIN, f"demo:centre:{centre['code']}", **centre)
    for code, source, reason in DEGRADED:
        await khidma.admin.change_centre_status(
            ADMIN,
            f"demo:centre:{code}:status",
            code,
            status="degraded",
            power_source=source,
            reason=reason,
        )


async def _staff(khidma: Khidma) -> None:
    """Hire everyone, and grant each clerk its agency's permissions (سماحيات)."""
    admin = khidma.admin
    gate = asyncio.Semaphore(PARALLEL)

    async def hire(member: Member) -> None:
        async with gate:
            number = member.staff_number
            await admin.hire_staff(
                ADMIN,
                f"demo:staff:{number}",
                staff_number=number,
                name_ar=member.name_ar,
                name_en=member.name_en,
                role=member.role,
                employment=member.employment,
                centre_code=member.centre_code,
                agency_code=member.agency_code,
            )
            for permission in member.permissions:
                await admin.grant_permission(
                    ADMIN,
                    f"demo:staff:{number}:grant:{permission}",
                    staff_number=number,
                    permission=permission,
                )

    await asyncio.gather(*(hire(member) for member in STAFF))


async def _citizens(khidma: Khidma) -> None:
    """Each citizen opens their own account on the portal and completes the profile."""
    for entry in CITIZENS:
        person = dict(entry)
        profile = person.pop("profile")
        number = person["national_number"]
        actor = await citizen_actor(khidma, number)
        await khidma.citizens.register_citizen(actor, f"demo:citizen:{number}", **person)
        await khidma.citizens.complete_profile(actor, f"demo:citizen:{number}:profile", **profile)


async def _file(khidma: Khidma, s: Scenario) -> Filed:
    """File the scenario's request and take it as far as ``s.until``."""
    requests = khidma.requests
    key = f"demo:request:{s.key}"
    service = _SERVICES[s.service]
    agency = service["agency"]
    if s.counter:
        filer, national_number = staff_actor(clerk_of(s.counter, agency)), s.national_number
    else:
        filer = await citizen_actor(khidma, s.national_number, s.channel)
        national_number = None
    filed = await requests.submit(
        filer,
        key,
        service_code=s.service,
        form=s.form,
        delivery="post_office" if s.post_office else "pickup",
        pickup_centre=s.pickup,
        post_office=s.post_office,
        national_number=national_number,
        processing_centre=s.processing,
    )
    number: str = filed["tracking_number"]
    last: Result = filed
    processing = s.counter or s.pickup or s.processing
    assert processing is not None
    here = staff_actor(clerk_of(processing, agency))
    there = staff_actor(clerk_of(s.pickup or processing, agency))  # where it is certified

    async def step(name: str, run: Callable[[str], Awaitable[Result]]) -> None:
        """Run the next step unless the request is where the scenario leaves it."""
        nonlocal last
        if last["status"] != s.until:
            last = await run(f"{key}:{name}")

    total: int = filed["fee_total"]
    if total:
        bank = BANKS[SCENARIOS.index(s) % len(BANKS)]
        await step(
            "payment",
            lambda k: requests.record_payment(
                PAYMENTS, k, number, payment_ref=f"SEPC-{number}", provider=bank, amount=total
            ),
        )
    direct = service["handling"] == "direct"
    document = f"DOC-{number}"
    issue_now = direct and s.until != "rejected"
    await step(
        "forward",
        lambda k: requests.forward(
            here, k, number, document_reference=document if issue_now else None
        ),
    )
    if s.until == "rejected":
        await step(
            "answer",
            lambda k: requests.record_agency_answer(here, k, number, rejection_reason=REJECTION),
        )
    elif not direct:
        await step(
            "accepted",
            lambda k: requests.record_agency_answer(
                here, k, number, accepted_reference=f"{agency.upper()}-{number}"
            ),
        )
        await step(
            "issued",
            lambda k: requests.record_agency_answer(here, k, number, document_reference=document),
        )
    await step("certify", lambda k: requests.certify(there, k, number))
    if s.post_office:
        await step(
            "post",
            lambda k: requests.dispatch_by_post(there, k, number, postal_tracking=f"SP-{number}"),
        )
    else:
        await step("ready", lambda k: requests.mark_ready(there, k, number))
        await step(
            "handover",
            lambda k: requests.hand_over(
                there, k, number, recipient="self", recipient_national_number=s.national_number
            ),
        )
    if last["status"] != s.until:
        raise RuntimeError(f"demo request {s.key} ended {last['status']}, not {s.until}")
    return Filed(number, last["status"], s.service, s.national_number)


async def _queue(khidma: Khidma, centre: str, today: date, filed: dict[str, str]) -> int:
    """Open today's queue at ``centre``, take its tickets, let its clerks call; tickets taken."""
    queues = khidma.queues
    key = f"demo:queue:{centre}:{today.isoformat()}"
    supervisor = next(m for m in STAFF if m.centre_code == centre and m.role == "supervisor")
    await queues.open_queue(staff_actor(supervisor), f"{key}:open", centre=centre, day=today)
    tickets, calls = QUEUES[centre]
    for i, (category, citizen) in enumerate(tickets, start=1):
        actor = kiosk(centre) if citizen is None else await citizen_actor(khidma, citizen, "app")
        await queues.take_ticket(
            actor, f"{key}:ticket:{i}", category=category, centre=centre, day=today
        )
    for i, call in enumerate(calls, start=1):
        clerk = staff_actor(clerk_of(centre, call.agency))
        called: dict[str, Any] = await queues.call_next(
            clerk, f"{key}:call:{i}", counter=call.counter, day=today
        )
        ticket = called["ticket"]
        if ticket is None or call.outcome == "serving":
            continue
        if call.outcome == "served":
            await queues.mark_served(
                clerk,
                f"{key}:served:{i}",
                ticket=ticket,
                tracking_numbers=[filed[r] for r in call.requests],
                counter=call.counter,
                day=today,
            )
        else:
            await queues.mark_no_show(
                clerk, f"{key}:no_show:{i}", ticket=ticket, counter=call.counter, day=today
            )
    return len(tickets)
