"""Centres: registering one, changing what it offers and when it opens, its operating status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre, OperatingStatus, PowerSource, parse_centre_code
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import Governorate
from khidma.core.domain.text import reference

from . import lookups
from .actor import Actor
from .runner import CommandRunner, Result, Unit, as_result
from .scope import own_centre


class CentreCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def register_centre(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        code: str,
        name_ar: str,
        name_en: str,
        governorate: Governorate | str,
        district_ar: str,
        district_en: str,
        counters: int,
        services: Iterable[str] = (),
        direct_agencies: Iterable[str] = (),
        hours: Mapping[str, tuple[str, str]] | None = None,
    ) -> Result:
        """Open a centre offering catalog services; Sunday-Thursday 08:00-15:00 unless told."""

        async def work(unit: Unit) -> Result:
            if await unit.find(Centre, Centre.id_for(code)) is not None:
                raise ValidationError("code", f"centre {parse_centre_code(code)} already exists")
            centre = Centre.register(
                code,
                name_ar,
                name_en,
                governorate,
                district_ar,
                district_en,
                counters=counters,
                services=_codes("services", services),
                direct_agencies=_codes("direct_agencies", direct_agencies),
                hours=hours,
                at=unit.at,
            )
            await _in_catalog(unit, "services", centre.services)
            return _centre(unit.add(centre))

        return await self.runner.run(actor, "register_centre", idempotency_key, work)

    async def update_centre(
        self,
        actor: Actor,
        idempotency_key: str,
        code: str,
        *,
        name_ar: str | None = None,
        name_en: str | None = None,
        counters: int | None = None,
        offer: Iterable[str] = (),
        withdraw: Iterable[str] = (),
        reach_directly: Iterable[str] = (),
        stop_reaching: Iterable[str] = (),
        hours: Mapping[str, tuple[str, str]] | None = None,
    ) -> Result:
        """Rename, set counters, offer or withdraw services, gain or lose direct access, hours.

        Only what is given changes; giving something already so records nothing.
        """

        async def work(unit: Unit) -> Result:
            offered = _codes("offer", offer)
            withdrawn = _codes("withdraw", withdraw)
            reached = _codes("reach_directly", reach_directly)
            lost = _codes("stop_reaching", stop_reaching)
            for field, codes, against, other in (
                ("withdraw", withdrawn, offered, "offer"),
                ("stop_reaching", lost, reached, "reach_directly"),
            ):
                both = set(codes) & set(against)
                if both:
                    raise ValidationError(field, f"{', '.join(sorted(both))} also in {other}")
            nothing = (name_ar, name_en, counters, hours) == (None, None, None, None)
            if nothing and not (offered or withdrawn or reached or lost):
                raise ValidationError("changes", "nothing to update")
            centre = await unit.get(Centre, Centre.id_for(code), "centre")
            if name_ar is not None or name_en is not None:
                centre.rename(name_ar or centre.name_ar, name_en or centre.name_en, at=unit.at)
            if counters is not None:
                centre.set_counters(counters, at=unit.at)
            await _in_catalog(unit, "offer", offered)
            for service in offered:
                centre.offer_service(service, at=unit.at)
            for service in withdrawn:
                centre.withdraw_service(service, at=unit.at)
            for agency in reached:
                centre.reach_agency_directly(agency, at=unit.at)
            for agency in lost:
                centre.stop_reaching(agency, at=unit.at)
            if hours is not None:
                centre.set_opening_hours(hours, at=unit.at)
            return _centre(centre)

        return await self.runner.run(actor, "update_centre", idempotency_key, work)

    async def change_centre_status(
        self,
        actor: Actor,
        idempotency_key: str,
        code: str,
        *,
        status: OperatingStatus | str,
        power_source: PowerSource | str | None = None,
        reason: str | None = None,
    ) -> Result:
        """Open, degraded (generator or solar) or closed (with a reason); supervisors: their own."""

        async def work(unit: Unit) -> Result:
            checked = parse_centre_code(code)
            own_centre(actor, "change_centre_status", checked)
            centre = await unit.get(Centre, Centre.create_id(checked), "centre")
            centre.change_status(status, power_source=power_source, reason=reason, at=unit.at)
            return _centre(centre)

        return await self.runner.run(actor, "change_centre_status", idempotency_key, work)


def _codes(field: str, values: Iterable[str]) -> tuple[str, ...]:
    """Codes without spaces; one string alone is refused rather than split into letters."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(field, "expected a list of codes")
    return tuple(reference(field, v) for v in values)


async def _in_catalog(unit: Unit, field: str, services: Iterable[str]) -> None:
    """A centre offers only services the catalog offers."""
    wanted = list(services)
    if not wanted:
        return
    catalog = await unit.find(Catalog, Catalog.id_for(lookups.CATALOG))
    for service in wanted:
        known = catalog.services.get(service) if catalog is not None else None
        if known is None or known.withdrawn:
            raise ValidationError(field, f"{service!r} is not offered in the catalog")


def _centre(centre: Centre) -> Result:
    return as_result(
        {
            "centre_id": centre.id,
            "code": centre.code,
            "status": centre.status.value,
            "counters": centre.counters,
            "services": list(centre.services),
            "direct_agencies": list(centre.direct_agencies),
        }
    )
