"""Administration: the catalog and fee decisions, centres, staff and their permissions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from khidma.core.app import Actor
from khidma.core.domain.errors import ValidationError as Invalid
from khidma.core.domain.staff import Staff

from ..catalog.types import Service
from ..centres.types import Centre
from ..common.commands import run
from ..common.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from .types import AdminPayload, StaffMember

AdminResult = Annotated[
    AdminPayload | ValidationError | InvalidTransition | NotAllowed | NotFound,
    strawberry.union("AdminResult"),
]
JSON = strawberry.scalars.JSON


async def _answer(info: strawberry.Info, result: Any) -> Any:
    """The changed object read back (aggregates: consistent as soon as the command returns)."""
    if not isinstance(result, dict):
        return result
    directory = info.context.services.directory
    payload = AdminPayload(result=result)
    if "staff_number" in result:
        found = await directory.staff(Staff.id_for(result["staff_number"]))
        payload.staff = StaffMember.of(found) if found is not None else None
    elif "code" in result and "counters" in result:
        centres = await directory.centres_by_code([result["code"]])
        payload.centre = Centre.of(centres[result["code"]]) if centres else None
    elif "service_code" in result and "agency" in result:
        catalog = await directory.catalog()
        code = result["service_code"]
        if catalog is not None and code in catalog.services:
            payload.service = Service.of(catalog.services[code], catalog)
    return payload


def _admin(info: strawberry.Info) -> Any:
    return info.context.khidma.admin


def _hours(value: Any) -> dict[str, tuple[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid("hours", 'expected {"sunday": ["08:00", "15:00"], …}')
    return {day: tuple(span) for day, span in value.items()}  # type: ignore[misc]


@strawberry.type
class AdminMutations:
    @strawberry.mutation(description="Add a service (or bring back a withdrawn one).")
    async def add_service(
        self, info: strawberry.Info, idempotency_key: str, code: str, name_ar: str,
        name_en: str, agency: str, form_schema: JSON, agency_fee: int,  # type: ignore[valid-type]
        handling: str, turnaround_days: int, clock_rule: str, collectors: list[str],
        delivery: list[str], validity_days: int,
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).add_service(
                actor, idempotency_key, code=code, name_ar=name_ar, name_en=name_en,
                agency=agency, form_schema=form_schema, agency_fee=agency_fee,
                handling=handling, turnaround_days=turnaround_days, clock_rule=clock_rule,
                collectors=collectors, delivery=delivery, validity_days=validity_days,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Change a service: `changes` uses addService's names.")
    async def update_service(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        code: str,
        changes: JSON,  # type: ignore[valid-type]
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            if not isinstance(changes, dict):
                raise Invalid("changes", "expected an object of field: value")
            return await _admin(info).update_service(actor, idempotency_key, code, **changes)

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def withdraw_service(
        self, info: strawberry.Info, idempotency_key: str, code: str
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).withdraw_service(actor, idempotency_key, code)

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="A governorate council's surcharge from a date.")
    async def decide_surcharge(
        self, info: strawberry.Info, idempotency_key: str, governorate: str, amount_syp: int,
        effective_from: date, decision_ref: str, service_code: str | None = None,
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).decide_surcharge(
                actor, idempotency_key, governorate=governorate, amount_syp=amount_syp,
                effective_from=effective_from, decision_ref=decision_ref,
                service_code=service_code,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Replace a year's public holidays: [[date, ar, en], …].")
    async def declare_holidays(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        year: int,
        holidays: JSON,  # type: ignore[valid-type]
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            try:
                days = [(date.fromisoformat(d), ar, en) for d, ar, en in holidays]
            except (TypeError, ValueError):
                raise Invalid("holidays", 'expected [["2026-04-05", "عيد", "Eid"], …]') from None
            return await _admin(info).declare_holidays(
                actor, idempotency_key, year=year, holidays=days
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Open a centre offering catalog services.")
    async def register_centre(
        self, info: strawberry.Info, idempotency_key: str, code: str, name_ar: str,
        name_en: str, governorate: str, district_ar: str, district_en: str, counters: int,
        services: list[str] | None = None, direct_agencies: list[str] | None = None,
        hours: JSON | None = None,  # type: ignore[valid-type]
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).register_centre(
                actor, idempotency_key, code=code, name_ar=name_ar, name_en=name_en,
                governorate=governorate, district_ar=district_ar, district_en=district_en,
                counters=counters, services=services or (),
                direct_agencies=direct_agencies or (), hours=_hours(hours),
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Rename, counters, services, direct access, hours.")
    async def update_centre(
        self, info: strawberry.Info, idempotency_key: str, code: str,
        name_ar: str | None = None, name_en: str | None = None, counters: int | None = None,
        offer: list[str] | None = None, withdraw: list[str] | None = None,
        reach_directly: list[str] | None = None, stop_reaching: list[str] | None = None,
        hours: JSON | None = None,  # type: ignore[valid-type]
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).update_centre(
                actor, idempotency_key, code, name_ar=name_ar, name_en=name_en,
                counters=counters, offer=offer or (), withdraw=withdraw or (),
                reach_directly=reach_directly or (), stop_reaching=stop_reaching or (),
                hours=_hours(hours),
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Open, degraded (generator, solar) or closed.")
    async def change_centre_status(
        self, info: strawberry.Info, idempotency_key: str, code: str, status: str,
        power_source: str | None = None, reason: str | None = None,
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).change_centre_status(
                actor,
                idempotency_key,
                code,
                status=status,
                power_source=power_source,
                reason=reason,
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def hire_staff(
        self, info: strawberry.Info, idempotency_key: str, staff_number: str, name_ar: str,
        name_en: str, role: str, employment: str, centre_code: str | None = None,
        agency_code: str | None = None,
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).hire_staff(
                actor, idempotency_key, staff_number=staff_number, name_ar=name_ar,
                name_en=name_en, role=role, employment=employment, centre_code=centre_code,
                agency_code=agency_code,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Grant an agency permission, e.g. `civil_registry.issue`.")
    async def grant_permission(
        self, info: strawberry.Info, idempotency_key: str, staff_number: str, permission: str
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).grant_permission(
                actor, idempotency_key, staff_number=staff_number, permission=permission
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def revoke_permission(
        self, info: strawberry.Info, idempotency_key: str, staff_number: str, permission: str,
        reason: str,
    ) -> AdminResult:  # fmt: skip
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).revoke_permission(
                actor,
                idempotency_key,
                staff_number=staff_number,
                permission=permission,
                reason=reason,
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="The person leaves; every permission is revoked.")
    async def deactivate_staff(
        self, info: strawberry.Info, idempotency_key: str, staff_number: str, reason: str
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).deactivate_staff(
                actor, idempotency_key, staff_number=staff_number, reason=reason
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(
        description="Forget a citizen (crypto-shredding): their key is destroyed, so their "
        "personal data is gone from every read and rebuild; counts and turnarounds stay. "
        "The reason is kept for auditors: do not name the person in it."
    )
    async def forget_citizen(
        self, info: strawberry.Info, idempotency_key: str, national_number: str, reason: str
    ) -> AdminResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _admin(info).forget_citizen(
                actor, idempotency_key, national_number=national_number, reason=reason
            )

        return await _answer(info, await run(info, call))
