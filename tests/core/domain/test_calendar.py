"""The working-day calendar (weekends, public holidays) and the request's due-date clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.calendar import ClockRule, DueClock, WorkingCalendar
from khidma.core.domain.errors import InvalidTransition, ValidationError
from khidma.core.events.transcoder import new_mapper

AT = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
# 2026-01-01 is a Thursday; the 2nd and 3rd are Friday and Saturday.
NEW_YEAR = ("رأس السنة الميلادية", "New Year's Day")
HOLIDAYS_2026 = [
    (date(2026, 1, 1), *NEW_YEAR),
    (date(2026, 3, 8), "عيد الثورة", "Revolution Day"),  # a Sunday
    (date(2026, 3, 20), "عيد الفطر", "Eid al-Fitr"),  # a Friday: already off
    (date(2026, 3, 22), "عطلة عيد الفطر", "Eid al-Fitr holiday"),
]
HOLIDAYS_2025 = [(date(2025, 12, 25), "عيد الميلاد", "Christmas"), (date(2025, 12, 31), "-", "-")]


def new_calendar() -> WorkingCalendar:
    calendar = WorkingCalendar.create("SY", at=AT)
    calendar.declare_holidays(2026, HOLIDAYS_2026, at=AT)
    calendar.declare_holidays(2025, HOLIDAYS_2025, at=AT)
    return calendar


CALENDAR = new_calendar()


def refused(calendar: WorkingCalendar, call: Callable[[], Any]) -> ValidationError:
    before = len(calendar.pending_events), calendar.version
    with pytest.raises(ValidationError) as caught:
        call()
    assert (len(calendar.pending_events), calendar.version) == before
    return caught.value


def replayed(events: Any) -> WorkingCalendar:
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert isinstance(copy, WorkingCalendar)
    return copy


def test_id_is_derived_from_the_country() -> None:
    assert WorkingCalendar.id_for("SY") == WorkingCalendar.create("SY", at=AT).id
    assert WorkingCalendar.id_for() == WorkingCalendar.id_for("SY")
    assert WorkingCalendar.id_for("LB") != WorkingCalendar.id_for("SY")


def test_friday_and_saturday_are_off() -> None:
    calendar = WorkingCalendar.create(at=AT)
    week = [date(2026, 2, 1) + timedelta(days=i) for i in range(7)]  # Sunday to Saturday
    assert [calendar.is_working_day(d) for d in week] == [True] * 5 + [False, False]


def test_holidays_are_off() -> None:
    assert not CALENDAR.is_working_day(date(2026, 3, 8))
    assert not CALENDAR.is_working_day(date(2026, 1, 1))
    assert CALENDAR.is_working_day(date(2026, 3, 9))
    assert CALENDAR.holidays_in(2026)[0].name.en == "New Year's Day"
    assert CALENDAR.holidays_in(2030) == ()


def test_add_working_days_skips_weekends() -> None:
    thursday = date(2026, 2, 5)
    assert CALENDAR.add_working_days(thursday, 1) == date(2026, 2, 8)  # Sunday
    assert CALENDAR.add_working_days(thursday, 5) == date(2026, 2, 12)
    assert CALENDAR.add_working_days(thursday, 0) == thursday
    friday = date(2026, 2, 6)
    assert CALENDAR.add_working_days(friday, 1) == date(2026, 2, 8)


def test_add_working_days_skips_holidays() -> None:
    # Thursday 5 March; Sunday 8 March is Revolution Day.
    assert CALENDAR.add_working_days(date(2026, 3, 5), 1) == date(2026, 3, 9)
    # Thursday 19 March: Fri 20 (Eid, already weekend), Sat 21, Sun 22 (Eid holiday) off.
    assert CALENDAR.add_working_days(date(2026, 3, 19), 1) == date(2026, 3, 23)


def test_year_boundaries() -> None:
    # Wed 24 Dec 2025: Thu 25 Christmas, Fri/Sat weekend, Sun 28..Tue 30, Wed 31 holiday,
    # Thu 1 Jan 2026 holiday, Fri/Sat weekend, Sun 4 Jan.
    start = date(2025, 12, 24)
    assert CALENDAR.add_working_days(start, 3) == date(2025, 12, 30)
    assert CALENDAR.add_working_days(start, 4) == date(2026, 1, 4)
    assert CALENDAR.working_days_between(start, date(2026, 1, 4)) == 4
    assert CALENDAR.working_days_between(date(2026, 1, 4), start) == -4
    assert CALENDAR.working_days_between(start, start) == 0


def test_declaring_a_year_again_replaces_its_list() -> None:
    calendar = new_calendar()
    calendar.declare_holidays(2026, [(date(2026, 5, 1), "عيد العمال", "Labour Day")], at=AT)
    assert calendar.is_working_day(date(2026, 3, 8))
    assert not calendar.is_working_day(date(2026, 5, 1))
    assert not calendar.is_working_day(date(2025, 12, 25))  # other years untouched
    calendar.declare_holidays(2026, [], at=AT)
    assert calendar.holidays_in(2026) == ()


@pytest.mark.parametrize(
    ("year", "holidays", "where"),
    [
        (2026, [(date(2025, 12, 31), "x", "x")], "holidays[0].date"),
        (2026, [(datetime(2026, 1, 1, tzinfo=UTC), "x", "x")], "holidays[0].date"),
        (2026, [("2026-01-01", "x", "x")], "holidays[0].date"),
        (2026, [(date(2026, 1, 1), "", "x")], "holidays[0].name.ar"),
        (2026, [(date(2026, 1, 1), "x", "y" * 201)], "holidays[0].name.en"),
        (2026, [(date(2026, 1, 1), "x")], "holidays[0]"),
        (2026, [(date(2026, 1, 1), "x", "x"), (date(2026, 1, 1), "y", "y")], "holidays[1].date"),
        (1999, [], "year"),
        ("2026", [], "year"),
        (2026, "none", "holidays"),
    ],
)
def test_bad_holidays_are_named(year: Any, holidays: Any, where: str) -> None:
    calendar = new_calendar()
    assert (
        refused(calendar, lambda: calendar.declare_holidays(year, holidays, at=AT)).field == where
    )


def test_clock_must_be_aware() -> None:
    calendar = new_calendar()
    naive = datetime(2026, 1, 1, 9)
    assert refused(calendar, lambda: calendar.declare_holidays(2026, [], at=naive)).field == "at"
    with pytest.raises(ValidationError, match="country"):
        WorkingCalendar.create("Syria", at=AT)
    with pytest.raises(ValidationError, match="weekend"):
        WorkingCalendar.create("SY", at=AT, weekend=tuple(range(7)))


def test_negative_day_counts_are_refused() -> None:
    with pytest.raises(ValidationError):
        CALENDAR.add_working_days(date(2026, 1, 1), -1)


def test_replay_and_the_store_mapper_rebuild_the_calendar() -> None:
    calendar = new_calendar()
    events = calendar.collect_events()
    assert [type(e).__name__ for e in events] == ["Created", "HolidaysDeclared", "HolidaysDeclared"]
    assert vars(replayed(events)) == vars(calendar)
    mapper = new_mapper()
    loaded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]
    assert vars(replayed(loaded)) == vars(calendar)


# The due-date clock.


def test_clock_starts_with_the_turnaround() -> None:
    clock = DueClock.start(date(2026, 2, 1), 5, CALENDAR)  # a Sunday
    assert clock == DueClock(5, date(2026, 2, 1), 0, None, date(2026, 2, 8))
    assert clock.remaining_on(date(2026, 2, 5), CALENDAR) == 1
    assert not clock.is_paused


def test_continue_counts_the_days_already_used() -> None:
    clock = DueClock.start(date(2026, 2, 1), 5, CALENDAR)  # due Sunday 8 Feb
    paused = clock.pause(date(2026, 2, 3), CALENDAR)  # Mon, Tue used
    assert (paused.working_days_used, paused.paused_since) == (2, date(2026, 2, 3))
    resumed = paused.resume(date(2026, 2, 10), ClockRule.CONTINUE, CALENDAR)
    # 3 days left after Tue 10 Feb: Wed 11, Thu 12, Sun 15.
    assert resumed.due_on == date(2026, 2, 15)
    assert resumed.paused_since is None and resumed.working_days_used == 2


def test_restart_grants_the_full_turnaround_again() -> None:
    clock = DueClock.start(date(2026, 2, 1), 5, CALENDAR)
    paused = clock.pause(date(2026, 2, 3), CALENDAR)
    resumed = paused.resume(date(2026, 2, 10), ClockRule.RESTART, CALENDAR)
    assert resumed.due_on == CALENDAR.add_working_days(date(2026, 2, 10), 5) == date(2026, 2, 17)
    assert resumed.working_days_used == 0


def test_resuming_an_overdue_clock_makes_it_due_at_once() -> None:
    clock = DueClock.start(date(2026, 2, 1), 2, CALENDAR)  # due Tue 3 Feb
    paused = clock.pause(date(2026, 2, 10), CALENDAR)
    assert paused.working_days_used > 2
    assert paused.resume(date(2026, 2, 11), "continue", CALENDAR).due_on == date(2026, 2, 11)


def test_clock_misuse_is_refused() -> None:
    clock = DueClock.start(date(2026, 2, 1), 5, CALENDAR)
    with pytest.raises(InvalidTransition):
        clock.resume(date(2026, 2, 2), ClockRule.CONTINUE, CALENDAR)
    paused = clock.pause(date(2026, 2, 2), CALENDAR)
    with pytest.raises(InvalidTransition):
        paused.pause(date(2026, 2, 3), CALENDAR)
    with pytest.raises(ValidationError):
        paused.resume(date(2026, 2, 1), ClockRule.CONTINUE, CALENDAR)
    with pytest.raises(ValidationError, match="clock_rule"):
        paused.resume(date(2026, 2, 3), "sometimes", CALENDAR)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        clock.pause(date(2026, 1, 31), CALENDAR)
    with pytest.raises(ValidationError, match="turnaround_days"):
        DueClock.start(date(2026, 2, 1), -1, CALENDAR)


def test_clock_round_trips_as_plain_fields() -> None:
    paused = DueClock.start(date(2026, 2, 1), 5, CALENDAR).pause(date(2026, 2, 3), CALENDAR)
    assert DueClock.from_dict(paused.to_dict()) == paused
    as_json = {k: v.isoformat() if isinstance(v, date) else v for k, v in paused.to_dict().items()}
    assert DueClock.from_dict(as_json) == paused
    running = DueClock.start(date(2026, 2, 1), 5, CALENDAR)
    assert running.to_dict()["paused_since"] is None
    assert DueClock.from_dict(running.to_dict()) == running


# Properties, over random holidays in 2025-2027.

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 6, 30))


@st.composite
def calendars(draw: st.DrawFn) -> WorkingCalendar:
    calendar = WorkingCalendar.create("SY", at=AT)
    for year in (2025, 2026, 2027):
        chosen = draw(
            st.sets(st.dates(min_value=date(year, 1, 1), max_value=date(year, 12, 31)), max_size=25)
        )
        calendar.declare_holidays(year, [(d, "عطلة", "Holiday") for d in sorted(chosen)], at=AT)
    return calendar


@given(calendars(), days, st.integers(min_value=1, max_value=120))
def test_adding_working_days_lands_on_a_working_day(
    calendar: WorkingCalendar, start: date, n: int
) -> None:
    assert calendar.is_working_day(calendar.add_working_days(start, n))


@given(calendars(), days, st.integers(min_value=0, max_value=120))
def test_between_undoes_add(calendar: WorkingCalendar, start: date, n: int) -> None:
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    assert calendar.working_days_between(end, start) == -n


@given(
    calendars(),
    days,
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=60),
)
def test_continue_never_shortens_the_working_days_granted(
    calendar: WorkingCalendar, start: date, n: int, wait: int, paused_for: int
) -> None:
    clock = DueClock.start(start, n, calendar)
    pause_on = start + timedelta(days=wait)
    resume_on = pause_on + timedelta(days=paused_for)
    resumed = clock.pause(pause_on, calendar).resume(resume_on, ClockRule.CONTINUE, calendar)
    assert resumed.due_on >= clock.due_on
    granted = calendar.working_days_between(start, resumed.due_on)
    stopped = calendar.working_days_between(pause_on, resume_on)
    assert granted - stopped >= n or resumed.due_on == resume_on  # overdue when paused
    if pause_on <= clock.due_on:
        assert granted - stopped == n
    restarted = clock.pause(pause_on, calendar).resume(resume_on, ClockRule.RESTART, calendar)
    assert calendar.working_days_between(resume_on, restarted.due_on) == n
