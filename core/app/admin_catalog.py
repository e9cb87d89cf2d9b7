"""The national catalog of services, the surcharge decisions and the working-day calendar."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from khidma.core.domain.calendar import ClockRule, WorkingCalendar
from khidma.core.domain.catalog import Catalog, Collector, Delivery, Handling
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import Governorate

from . import lookups
from .actor import Actor
from .runner import CommandRunner, Result, Unit, as_result


class CatalogCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def define_catalog(self, actor: Actor, idempotency_key: str) -> Result:
        """Create the national catalog, unless it exists (then nothing is written)."""

        async def work(unit: Unit) -> Result:
            catalog = await unit.find(Catalog, Catalog.id_for(lookups.CATALOG))
            created = catalog is None
            if catalog is None:
                catalog = unit.add(Catalog.create(lookups.CATALOG, at=unit.at))
            return as_result({"catalog_id": catalog.id, "name": catalog.name, "created": created})

        return await self.runner.run(actor, "define_catalog", idempotency_key, work)

    async def add_service(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        code: str,
        name_ar: str,
        name_en: str,
        agency: str,
        form_schema: dict[str, Any],
        agency_fee: int,
        handling: Handling | str,
        turnaround_days: int,
        clock_rule: ClockRule | str,
        collectors: Iterable[Collector | str],
        delivery: Iterable[Delivery | str],
        validity_days: int,
    ) -> Result:
        """Add a service to the catalog (or bring back a withdrawn one, newly defined)."""

        async def work(unit: Unit) -> Result:
            catalog = await lookups.catalog_to_change(unit)
            catalog.add_service(
                code=code,
                name_ar=name_ar,
                name_en=name_en,
                agency=agency,
                form_schema=form_schema,
                agency_fee=agency_fee,
                handling=handling,
                turnaround_days=turnaround_days,
                clock_rule=clock_rule,
                collectors=collectors,
                delivery=delivery,
                validity_days=validity_days,
                at=unit.at,
            )
            return _service(catalog, code)

        return await self.runner.run(actor, "add_service", idempotency_key, work)

    async def update_service(
        self, actor: Actor, idempotency_key: str, code: str, **changes: object
    ) -> Result:
        """Change an offered service; ``changes`` are add_service's keywords but ``code``."""

        async def work(unit: Unit) -> Result:
            catalog = await lookups.catalog_to_change(unit)
            with _service_field("code"):
                catalog.update_service(code, at=unit.at, **changes)
            return _service(catalog, code)

        return await self.runner.run(actor, "update_service", idempotency_key, work)

    async def withdraw_service(self, actor: Actor, idempotency_key: str, code: str) -> Result:
        """Stop offering a service; requests already filed keep their definition."""

        async def work(unit: Unit) -> Result:
            catalog = await lookups.catalog_to_change(unit)
            with _service_field("code"):
                catalog.withdraw_service(code, at=unit.at)
            return _service(catalog, code)

        return await self.runner.run(actor, "withdraw_service", idempotency_key, work)

    async def decide_surcharge(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        governorate: Governorate | str,
        amount_syp: int,
        effective_from: date,
        decision_ref: str,
        service_code: str | None = None,
    ) -> Result:
        """Record a governorate council's surcharge (on one service, or all if None) from a date."""

        async def work(unit: Unit) -> Result:
            catalog = await lookups.catalog_to_change(unit)
            with _service_field("service_code"):
                catalog.decide_surcharge(
                    governorate, service_code, amount_syp, effective_from, decision_ref, at=unit.at
                )
            decided = catalog.surcharges[Governorate.parse("governorate", governorate).value][-1]
            return as_result(
                {
                    "governorate": decided.governorate,
                    "service_code": decided.service_code,
                    "amount_syp": decided.amount,
                    "effective_from": decided.effective_from.isoformat(),
                    "decision_ref": decided.decision_ref,
                }
            )

        return await self.runner.run(actor, "decide_surcharge", idempotency_key, work)

    async def declare_holidays(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        year: int,
        holidays: list[tuple[date, str, str]],
    ) -> Result:
        """Replace the public holidays of ``year``; creates Syria's calendar on first use."""

        async def work(unit: Unit) -> Result:
            calendar = await unit.find(WorkingCalendar, WorkingCalendar.id_for(lookups.COUNTRY))
            if calendar is None:
                calendar = unit.add(WorkingCalendar.create(lookups.COUNTRY, at=unit.at))
            calendar.declare_holidays(year, holidays, at=unit.at)
            declared = calendar.holidays_in(year)
            return as_result(
                {
                    "year": year,
                    "holidays": [h.on.isoformat() for h in declared],
                }
            )

        return await self.runner.run(actor, "declare_holidays", idempotency_key, work)


@contextmanager
def _service_field(argument: str) -> Iterator[None]:
    """The catalog names an unknown or withdrawn service ``service``; name the argument."""
    try:
        yield
    except ValidationError as error:
        if error.field != "service":
            raise
        raise ValidationError(argument, error.message) from None


def _service(catalog: Catalog, code: str) -> Result:
    service = catalog.service(code)
    return as_result(
        {
            "service_code": service.code,
            "agency": service.agency,
            "agency_fee": service.agency_fee,
            "withdrawn": service.withdrawn,
        }
    )
