"""Centre (مركز خدمة المواطن): where citizens file requests and collect documents."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from enum import StrEnum
from functools import lru_cache

from eventsourcing.domain import Aggregate, event

from .errors import ValidationError
from .governorate import SYRIA_TIME, Governorate
from .ids import derived_id
from .text import Bilingual, bounded, choice, code, moment, reference

_NAMESPACE = uuid.UUID("2c6b9d0e-7f4a-4e1b-8a3c-5d9e0f1a2b47")
MAX_COUNTERS = 200
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class Weekday(StrEnum):
    """Days of the week; ``list(Weekday)[date.weekday()]`` is that date's day."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class OperatingStatus(StrEnum):
    OPEN = "open"
    DEGRADED = "degraded"  # working on a backup power source (التقنين: power rationing)
    CLOSED = "closed"


class PowerSource(StrEnum):
    GRID = "grid"
    GENERATOR = "generator"
    SOLAR = "solar"


_WORK_WEEK = (Weekday.SUNDAY, Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY)
# Sunday to Thursday, 08:00-15:00: the public sector's week (Friday and Saturday off).
DEFAULT_HOURS: dict[str, tuple[str, str]] = {day.value: ("08:00", "15:00") for day in _WORK_WEEK}


def parse_centre_code(value: object, field: str = "code") -> str:
    """A centre's code such as ``HMS-01`` (upper-cased; Arabic-Indic digits accepted)."""
    known = _CODES.get(value) if type(value) is str else None
    if known is not None:  # a command names a few centres many times
        return known
    checked = code(field, value, 20)
    if type(value) is str and len(_CODES) < 4_096:
        _CODES[value] = checked
    return checked


_CODES: dict[str, str] = {}  # codes as typed -> as checked


def _counters(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError("counters", "expected a whole number")
    if not 1 <= value <= MAX_COUNTERS:
        raise ValidationError("counters", f"expected 1 to {MAX_COUNTERS}, got {value}")
    return value


def _clock(field: str, value: object) -> str:
    """A time of day as ``HH:MM``, from a ``time`` or text."""
    if isinstance(value, time):
        if value.second or value.microsecond or value.tzinfo:
            raise ValidationError(field, "expected whole minutes, local time")
        return value.strftime("%H:%M")
    if isinstance(value, str) and _HHMM.match(value.strip()):
        return value.strip()
    raise ValidationError(field, f"expected a time like 08:00, got {value!r}")


def _hours(value: object) -> dict[str, tuple[str, str]]:
    """Opening hours per weekday (days left out are closed), each opening before it closes."""
    if not isinstance(value, Mapping):
        raise ValidationError("hours", "expected a mapping of weekday to (opens, closes)")
    hours: dict[str, tuple[str, str]] = {}
    for key, span in value.items():
        day = choice("hours", Weekday, key)
        field = f"hours.{day.value}"
        if not isinstance(span, tuple | list) or len(span) != 2:
            raise ValidationError(field, "expected (opens, closes)")
        opens, closes = _clock(f"{field}.opens", span[0]), _clock(f"{field}.closes", span[1])
        if opens >= closes:
            raise ValidationError(field, f"opens at {opens}, which is not before {closes}")
        hours[day.value] = (opens, closes)
    return dict(sorted(hours.items(), key=lambda item: list(Weekday).index(Weekday(item[0]))))


def _codes(field: str, values: Iterable[object]) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(field, "expected a list of codes")
    return tuple(sorted({reference(field, v) for v in values}))


class Centre(Aggregate):
    """A citizen service centre; its id is derived from its code."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return derived_id(_NAMESPACE, code)

    @staticmethod
    def id_for(code: object) -> uuid.UUID:
        """The id of the centre with this code (validated and normalised first)."""
        if isinstance(code, str):
            return _id_of_code(code)
        return Centre.create_id(parse_centre_code(code))

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        code: object,
        name_ar: object,
        name_en: object,
        governorate: Governorate | str,
        district_ar: object,
        district_en: object,
        *,
        counters: int,
        at: datetime,
        services: Iterable[str] = (),
        direct_agencies: Iterable[str] = (),
        hours: Mapping[str, tuple[str, str]] | None = None,
    ) -> Centre:
        """Open a centre: open, on the grid, with Sunday-Thursday 08:00-15:00 unless told."""
        at = moment("at", at)
        name = Bilingual.of("name", name_ar, name_en)
        district = Bilingual.of("district", district_ar, district_en, 100)
        return cls(
            code=parse_centre_code(code),
            name_ar=name.ar,
            name_en=name.en,
            governorate=Governorate.parse("governorate", governorate),
            district_ar=district.ar,
            district_en=district.en,
            counters=_counters(counters),
            services=_codes("services", services),
            direct_agencies=_codes("direct_agencies", direct_agencies),
            hours=_hours(DEFAULT_HOURS if hours is None else hours),
            at=at,
        )

    def rename(self, name_ar: object, name_en: object, *, at: datetime) -> None:
        at = moment("at", at)
        name = Bilingual.of("name", name_ar, name_en)
        if (name.ar, name.en) != (self.name_ar, self.name_en):
            self._renamed(name_ar=name.ar, name_en=name.en, at=at)

    def set_counters(self, counters: int, *, at: datetime) -> None:
        """Change the number of front offices (مكاتب أمامية), e.g. Midan's 4 became 12."""
        at = moment("at", at)
        counters = _counters(counters)
        if counters != self.counters:
            self._counters_changed(counters=counters, previous=self.counters, at=at)

    def offer_service(self, service_code: str, *, at: datetime) -> None:
        at = moment("at", at)
        service_code = reference("service_code", service_code)
        if service_code not in self.services:
            self._service_offered(service_code=service_code, at=at)

    def withdraw_service(self, service_code: str, *, at: datetime) -> None:
        at = moment("at", at)
        service_code = reference("service_code", service_code)
        if service_code in self.services:
            self._service_withdrawn(service_code=service_code, at=at)

    def reach_agency_directly(self, agency_code: str, *, at: datetime) -> None:
        """The centre's clerks now reach this agency's system, so its answers are immediate."""
        at = moment("at", at)
        agency_code = reference("agency_code", agency_code)
        if agency_code not in self.direct_agencies:
            self._direct_access_gained(agency_code=agency_code, at=at)

    def stop_reaching(self, agency_code: str, *, at: datetime) -> None:
        """Requests to this agency wait for its reply again."""
        at = moment("at", at)
        agency_code = reference("agency_code", agency_code)
        if agency_code in self.direct_agencies:
            self._direct_access_lost(agency_code=agency_code, at=at)

    def set_opening_hours(self, hours: Mapping[str, tuple[str, str]], *, at: datetime) -> None:
        """Replace the weekly hours; a weekday left out is a day the centre is closed."""
        at = moment("at", at)
        validated = _hours(hours)
        if validated != self.hours:
            self._opening_hours_set(hours=validated, at=at)

    def change_status(
        self,
        status: OperatingStatus | str,
        *,
        at: datetime,
        power_source: PowerSource | str | None = None,
        reason: str | None = None,
    ) -> None:
        """Open (on the grid), degraded (on a generator or solar) or closed (with a reason)."""
        at = moment("at", at)
        status = choice("status", OperatingStatus, status)
        source = None if power_source is None else choice("power_source", PowerSource, power_source)
        why = bounded("reason", reason, 300, required=False) or None
        if status is OperatingStatus.OPEN:
            if source not in (None, PowerSource.GRID):
                raise ValidationError("power_source", "a centre on backup power is degraded")
            source = PowerSource.GRID
        elif status is OperatingStatus.DEGRADED:
            if source not in (PowerSource.GENERATOR, PowerSource.SOLAR):
                raise ValidationError("power_source", "degraded means on a generator or solar")
        else:
            if why is None:
                raise ValidationError("reason", "required when closing a centre")
            source = None
        if (status, source, why) != (self.status, self.power_source, self.status_reason):
            self._status_changed(status=status, power_source=source, reason=why, at=at)

    # -- queries ----------------------------------------------------------------------------

    def offers(self, service_code: str) -> bool:
        return service_code in self.services

    def reaches_directly(self, agency_code: str) -> bool:
        return agency_code in self.direct_agencies

    def is_open_at(self, when: datetime) -> bool:
        """Within its hours and not closed; aware times are read on Syria's clock."""
        if self.status is OperatingStatus.CLOSED:
            return False
        local = when.astimezone(SYRIA_TIME) if when.tzinfo else when
        span = self.hours.get(list(Weekday)[local.weekday()].value)
        if span is None:
            return False
        return span[0] <= local.strftime("%H:%M") < span[1]

    # -- events: they only record --------------------------------------------------------------

    @event("Registered")
    def __init__(
        self,
        *,
        code: str,
        name_ar: str,
        name_en: str,
        governorate: Governorate,
        district_ar: str,
        district_en: str,
        counters: int,
        services: tuple[str, ...],
        direct_agencies: tuple[str, ...],
        hours: dict[str, tuple[str, str]],
        at: datetime,
    ) -> None:
        self.code = code
        self.name_ar = name_ar
        self.name_en = name_en
        self.governorate = governorate
        self.district_ar = district_ar
        self.district_en = district_en
        self.counters = counters
        self.services = tuple(services)
        self.direct_agencies = tuple(direct_agencies)
        self.hours = dict(hours)
        self.status = OperatingStatus.OPEN
        self.power_source: PowerSource | None = PowerSource.GRID
        self.status_reason: str | None = None
        self.status_since = at
        self.registered_at = at

    @event("Renamed")
    def _renamed(self, name_ar: str, name_en: str, at: datetime) -> None:
        self.name_ar = name_ar
        self.name_en = name_en

    @event("CountersChanged")
    def _counters_changed(self, counters: int, previous: int, at: datetime) -> None:
        self.counters = counters

    @event("ServiceOffered")
    def _service_offered(self, service_code: str, at: datetime) -> None:
        self.services = tuple(sorted({*self.services, service_code}))

    @event("ServiceWithdrawn")
    def _service_withdrawn(self, service_code: str, at: datetime) -> None:
        self.services = tuple(s for s in self.services if s != service_code)

    @event("DirectAccessGained")
    def _direct_access_gained(self, agency_code: str, at: datetime) -> None:
        self.direct_agencies = tuple(sorted({*self.direct_agencies, agency_code}))

    @event("DirectAccessLost")
    def _direct_access_lost(self, agency_code: str, at: datetime) -> None:
        self.direct_agencies = tuple(a for a in self.direct_agencies if a != agency_code)

    @event("OpeningHoursSet")
    def _opening_hours_set(self, hours: dict[str, tuple[str, str]], at: datetime) -> None:
        self.hours = dict(hours)

    @event("StatusChanged")
    def _status_changed(
        self,
        status: OperatingStatus,
        power_source: PowerSource | None,
        reason: str | None,
        at: datetime,
    ) -> None:
        self.status = status
        self.power_source = power_source
        self.status_reason = reason
        self.status_since = at


@lru_cache(maxsize=4_096)
def _id_of_code(code: str) -> uuid.UUID:
    """A centre's id from its code as typed (a command names a few centres many times)."""
    return Centre.create_id(parse_centre_code(code))
