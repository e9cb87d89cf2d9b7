"""Loading the aggregates many commands need: the catalog, the calendar, the clerk."""

from __future__ import annotations

from datetime import UTC, date, datetime

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre, parse_centre_code
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.governorate import SYRIA_TIME
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff, permission_for

from .actor import Actor
from .runner import Unit

CATALOG = "national"
COUNTRY = "SY"
CATALOG_ID = Catalog.id_for(CATALOG)
CALENDAR_ID = WorkingCalendar.id_for(COUNTRY)


def today(at: datetime) -> date:
    """The date in Syria at ``at``: due dates and fee decisions count in Syrian days."""
    return at.astimezone(SYRIA_TIME).date()


async def catalog(unit: Unit) -> Catalog:
    """The catalog, to read."""
    return await unit.read(Catalog, CATALOG_ID, "catalog")


async def catalog_to_change(unit: Unit) -> Catalog:
    return await unit.get(Catalog, CATALOG_ID, "catalog")


async def calendar(unit: Unit) -> WorkingCalendar:
    """The working-day calendar; Friday and Saturday off only, if no holidays were declared."""
    found = await unit.read_or_none(WorkingCalendar, CALENDAR_ID)
    if found is not None:
        return found
    default = WorkingCalendar.create(COUNTRY, at=datetime(2000, 1, 1, tzinfo=UTC))
    default.collect_events()  # a stand-in, never saved
    return default


async def centre(unit: Unit, code: str, field: str = "centre") -> Centre:
    """The centre with this code, to read; ValidationError naming ``field`` if there is none."""
    checked = parse_centre_code(code, field)
    found = await unit.read_or_none(Centre, Centre.id_for(checked))
    if found is None:
        raise ValidationError(field, f"no centre {checked!r}")
    return found


async def require_permission(unit: Unit, actor: Actor, agency: str, action: str) -> None:
    """A clerk needs the agency's permission (سماحية) for the action, and to serve that agency.

    Supervisors, agencies and khidma's workers act by role; agencies only on their own requests.
    """
    if actor.role is Role.AGENCY:
        if actor.agency != agency:
            raise NotAllowed(action, f"this request belongs to agency {agency}")
        return
    if actor.role is not Role.CLERK:
        return
    clerk = await unit.read_or_none(Staff, actor.id)
    if clerk is None:
        raise NotAllowed(action, "no staff record for this clerk")
    if clerk.agency_code != agency:
        raise NotAllowed(action, f"the clerk serves {clerk.agency_code}, not {agency}")
    clerk.require(permission_for(agency, action))
