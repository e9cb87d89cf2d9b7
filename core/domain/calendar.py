"""Working days: the weekend and public holidays held as data, and the due-date clock of a request.

Counting convention: the working days *after* a date. The day a request starts (or resumes) is not
counted, so ``add_working_days(d, n)`` is the n-th working day after ``d`` and
``working_days_between(a, b)`` counts the working days ``x`` with ``a < x <= b``. A year whose
holidays were never declared has only its weekends off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID

from eventsourcing.domain import Aggregate, event

from .errors import InvalidTransition, ValidationError
from .ids import derived_id
from .text import Bilingual, moment

FRIDAY, SATURDAY = 4, 5  # date.weekday() numbers
MIN_YEAR, MAX_YEAR = 2000, 2100
_ONE_DAY = timedelta(days=1)


class ClockRule(StrEnum):
    """What a request's clock does after waiting on the citizen (payment, information)."""

    CONTINUE = "continue"  # the working days already used still count
    RESTART = "restart"  # the full turnaround starts again from the resume date


@dataclass(frozen=True, slots=True)
class Holiday:
    on: date
    name: Bilingual


class WorkingDays(Protocol):
    """What the due-date clock needs from a calendar."""

    def is_working_day(self, day: date) -> bool: ...

    def add_working_days(self, start: date, n: int) -> date: ...

    def working_days_between(self, a: date, b: date) -> int: ...


class WorkingCalendar(Aggregate):
    """The working-day calendar of a country: weekend days and each year's public holidays."""

    @staticmethod
    def create_id(country: str) -> UUID:
        return derived_id(NAMESPACE_URL, f"khidma:calendar:{country}")

    @classmethod
    def id_for(cls, country: str = "SY") -> UUID:
        return cls.create_id(country)

    @classmethod
    def create(
        cls, country: str = "SY", *, at: datetime, weekend: tuple[int, ...] = (FRIDAY, SATURDAY)
    ) -> WorkingCalendar:
        """A calendar with no holidays yet; Friday and Saturday off unless ``weekend`` says."""
        if not isinstance(country, str) or not re.fullmatch(r"[A-Z]{2}", country):
            raise ValidationError("country", "expected a two-letter country code like SY")
        if not isinstance(weekend, tuple | list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekend
        ):
            raise ValidationError("weekend", "expected weekday numbers 0 (Monday) to 6 (Sunday)")
        if len(set(weekend)) >= 7:
            raise ValidationError("weekend", "at least one day of the week must be a working day")
        moment("at", at)
        return cls(country=country, weekend=sorted(set(weekend)), at=at)

    @event("Created")
    def __init__(self, country: str, weekend: list[int], at: datetime) -> None:
        self.country = country
        self.weekend = frozenset(weekend)
        self.holidays: dict[int, tuple[Holiday, ...]] = {}
        self._days_off: dict[int, frozenset[date]] = {}

    def declare_holidays(
        self, year: int, holidays: list[tuple[date, str, str]], *, at: datetime
    ) -> None:
        """Replace the public holidays of ``year`` with ``(date, name_ar, name_en)`` entries."""
        if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationError("year", f"expected a year from {MIN_YEAR} to {MAX_YEAR}")
        if not isinstance(holidays, list | tuple):
            raise ValidationError("holidays", "expected a list of (date, name_ar, name_en)")
        entries: list[dict[str, Any]] = []
        for i, entry in enumerate(holidays):
            path = f"holidays[{i}]"
            if not isinstance(entry, list | tuple) or len(entry) != 3:
                raise ValidationError(path, "expected (date, name_ar, name_en)")
            on, name_ar, name_en = entry
            if not isinstance(on, date) or isinstance(on, datetime):
                raise ValidationError(f"{path}.date", "expected a date")
            if on.year != year:
                raise ValidationError(f"{path}.date", f"{on.isoformat()} is not in {year}")
            if any(e["on"] == on for e in entries):
                raise ValidationError(f"{path}.date", f"{on.isoformat()} is listed twice")
            name = Bilingual.of(f"{path}.name", name_ar, name_en)
            entries.append({"on": on, "name_ar": name.ar, "name_en": name.en})
        moment("at", at)
        entries.sort(key=lambda e: e["on"])
        self._declare_holidays(year=year, holidays=entries, at=at)

    @event("HolidaysDeclared")
    def _declare_holidays(self, year: int, holidays: list[dict[str, Any]], at: datetime) -> None:
        declared = tuple(Holiday(h["on"], Bilingual(h["name_ar"], h["name_en"])) for h in holidays)
        self.holidays[year] = declared
        self._days_off[year] = frozenset(h.on for h in declared)

    # Queries: pure, no clock.

    def holidays_in(self, year: int) -> tuple[Holiday, ...]:
        return self.holidays.get(year, ())

    def is_working_day(self, day: date) -> bool:
        if day.weekday() in self.weekend:
            return False
        return day not in self._days_off.get(day.year, frozenset())

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself when n is 0)."""
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValidationError("days", f"expected a whole number, 0 or more, got {n!r}")
        # Terminates: at least one weekday is not weekend, and only finitely many years have
        # declared holidays.
        day = start
        counted = 0
        while counted < n:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``x`` with ``a < x <= b``; negative when ``b`` is before ``a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


@dataclass(frozen=True, slots=True)
class DueClock:
    """The due-date clock a request keeps: stopped while waiting on the citizen.

    ``working_days_used`` counts the working days of the turnaround spent before the last pause;
    while paused, ``due_on`` is the date that was due when the clock stopped.
    """

    turnaround_days: int
    started_on: date
    working_days_used: int
    paused_since: date | None
    due_on: date
    since: date | None = None  # the last start or resume; a pause cannot predate it

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    @classmethod
    def start(cls, on: date, turnaround_days: int, calendar: WorkingDays) -> DueClock:
        if not isinstance(turnaround_days, int) or isinstance(turnaround_days, bool):
            raise ValidationError("turnaround_days", "expected a whole number of working days")
        if turnaround_days < 0:
            raise ValidationError("turnaround_days", "may not be negative")
        return cls(turnaround_days, on, 0, None, calendar.add_working_days(on, turnaround_days))

    def remaining_on(self, on: date, calendar: WorkingDays) -> int:
        """Working days left after ``on`` until the due date (negative when overdue)."""
        return calendar.working_days_between(on, self.due_on)

    def pause(self, on: date, calendar: WorkingDays) -> DueClock:
        if self.paused_since is not None:
            raise InvalidTransition("pause the clock of", "waiting on the citizen")
        running_since = self.since or self.started_on
        if on < running_since:
            raise ValidationError("on", f"{on} is before the clock last ran ({running_since})")
        used = max(0, self.turnaround_days - calendar.working_days_between(on, self.due_on))
        return DueClock(self.turnaround_days, self.started_on, used, on, self.due_on, self.since)

    def resume(self, on: date, rule: ClockRule, calendar: WorkingDays) -> DueClock:
        if self.paused_since is None:
            raise InvalidTransition("resume the clock of", "not waiting on the citizen")
        if on < self.paused_since:
            raise ValidationError("on", f"{on} is before the pause ({self.paused_since})")
        try:
            restart = ClockRule(rule) is ClockRule.RESTART
        except ValueError:
            raise ValidationError("clock_rule", "expected continue or restart") from None
        used = 0 if restart else self.working_days_used
        remaining = max(0, self.turnaround_days - used)
        due = calendar.add_working_days(on, remaining)
        return DueClock(self.turnaround_days, self.started_on, used, None, due, on)

    def to_dict(self) -> dict[str, Any]:
        """Plain fields for an event (dates stay ``date``; from_dict also takes ISO strings)."""
        return {
            "turnaround_days": self.turnaround_days,
            "started_on": self.started_on,
            "working_days_used": self.working_days_used,
            "paused_since": self.paused_since,
            "due_on": self.due_on,
            "since": self.since,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DueClock:
        paused = raw.get("paused_since")
        return cls(
            turnaround_days=int(raw["turnaround_days"]),
            started_on=_as_date(raw["started_on"]),
            working_days_used=int(raw["working_days_used"]),
            paused_since=None if paused is None else _as_date(paused),
            due_on=_as_date(raw["due_on"]),
            since=None if raw.get("since") is None else _as_date(raw["since"]),
        )


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
