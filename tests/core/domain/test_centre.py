"""Centre: code, names, governorate, counters, services, direct agencies, hours and status."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.centre import (
    DEFAULT_HOURS,
    MAX_COUNTERS,
    Centre,
    OperatingStatus,
    PowerSource,
)
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import SYRIA_TIME, Governorate

from .aggregates import assert_refused, names, replay

AT = datetime(2026, 1, 4, 9, 0, tzinfo=SYRIA_TIME)  # a Sunday


def register(**overrides: Any) -> Centre:
    args: dict[str, Any] = {
        "code": "DAM-MDN",
        "name_ar": "مركز خدمة المواطن في الميدان",
        "name_en": "Al-Midan citizen service centre",
        "governorate": Governorate.DAMASCUS,
        "district_ar": "الميدان",
        "district_en": "Al-Midan",
        "counters": 4,
        "at": AT,
    }
    args.update(overrides)
    return Centre.register(**args)


# -- governorates ---------------------------------------------------------------------------


def test_the_fourteen_governorates_have_codes_and_two_names() -> None:
    assert len(Governorate) == 14
    assert {g.code for g in Governorate} == {
        "DAM", "RIF", "HMS", "HAM", "ALP", "LAT", "TAR",
        "IDL", "DRA", "SWD", "QUN", "DEZ", "RAQ", "HSK",
    }  # fmt: skip
    assert all(g.name_ar and g.name_en and len(g.code) == 3 for g in Governorate)
    assert Governorate.HOMS.name_ar == "حمص"
    assert Governorate.DEIR_EZ_ZOR.name_en == "Deir ez-Zor"


@pytest.mark.parametrize("given_as", ["HMS", "hms", "Homs", "حمص", "HOMS", Governorate.HOMS])
def test_a_governorate_is_found_by_code_or_name(given_as: object) -> None:
    assert Governorate.parse("governorate", given_as) is Governorate.HOMS


def test_multi_word_governorate_names() -> None:
    assert Governorate.parse("g", "deir ez zor") is Governorate.DEIR_EZ_ZOR
    assert Governorate.parse("g", "ريف دمشق") is Governorate.RIF_DIMASHQ
    assert Governorate.parse("g", "as-suwayda") is Governorate.AS_SUWAYDA


# -- registration ---------------------------------------------------------------------------


def test_register_with_defaults() -> None:
    centre = register(code=" dam-mdn ")
    assert centre.code == "DAM-MDN"
    assert centre.id == Centre.id_for("DAM-MDN") == Centre.id_for("dam-mdn")
    assert centre.governorate is Governorate.DAMASCUS
    assert (centre.district_ar, centre.district_en) == ("الميدان", "Al-Midan")
    assert centre.counters == 4
    assert centre.services == ()
    assert centre.direct_agencies == ()
    assert centre.hours == DEFAULT_HOURS
    assert centre.status is OperatingStatus.OPEN
    assert centre.power_source is PowerSource.GRID
    assert names(centre) == ["Registered"]


def test_register_with_services_agencies_and_hours() -> None:
    centre = register(
        code="HMS-٠١",
        governorate="حمص",
        services=["civil.birth_statement", "civil.birth_statement", "justice.criminal_record"],
        direct_agencies=["civil_registry"],
        hours={"Saturday": ("09:00", "13:00"), "sunday": (time(8), time(14, 30))},
    )
    assert centre.code == "HMS-01"
    assert centre.governorate is Governorate.HOMS
    assert centre.services == ("civil.birth_statement", "justice.criminal_record")
    assert centre.direct_agencies == ("civil_registry",)
    assert centre.hours == {"saturday": ("09:00", "13:00"), "sunday": ("08:00", "14:30")}


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("code", "HMS 01", "code"),
        ("code", "01-HMS", "code"),
        ("code", "HMS--01", "code"),
        ("code", "", "code"),
        ("code", "H" * 21, "code"),
        ("name_ar", "", "name.ar"),
        ("name_en", "x" * 201, "name.en"),
        ("district_en", None, "district.en"),
        ("governorate", "Beirut", "governorate"),
        ("counters", 0, "counters"),
        ("counters", -4, "counters"),
        ("counters", MAX_COUNTERS + 1, "counters"),
        ("counters", True, "counters"),
        ("counters", "4", "counters"),
        ("counters", 4.0, "counters"),
        ("services", "civil.birth", "services"),
        ("services", ["civil birth"], "services"),
        ("direct_agencies", [""], "direct_agencies"),
        ("hours", [("sunday", "08:00", "15:00")], "hours"),
        ("at", datetime(2026, 1, 4, 9), "at"),
    ],
)
def test_bad_registration_fields_are_named(field: str, value: object, named: str) -> None:
    assert_refused(named, lambda: register(**{field: value}))


def test_id_for_validates_the_code() -> None:
    assert_refused("code", lambda: Centre.id_for("HMS 01"))


# -- commands -------------------------------------------------------------------------------


def test_rename() -> None:
    centre = register()
    centre.rename("مركز الميدان", "Midan centre", at=AT)
    centre.rename("مركز الميدان", "Midan centre", at=AT)
    assert (centre.name_ar, centre.name_en) == ("مركز الميدان", "Midan centre")
    assert names(centre) == ["Registered", "Renamed"]
    assert_refused("name.en", lambda: centre.rename("مركز", " ", at=AT), centre)


def test_set_counters_records_the_previous_number() -> None:
    centre = register()
    centre.set_counters(12, at=AT)  # DOMAIN.md: Midan went from 4 front offices to 12
    centre.set_counters(12, at=AT)
    assert centre.counters == 12
    event = centre.pending_events[-1]
    assert (event.counters, event.previous) == (12, 4)  # type: ignore[attr-defined]
    assert names(centre) == ["Registered", "CountersChanged"]
    assert_refused("counters", lambda: centre.set_counters(-1, at=AT), centre)


def test_offer_and_withdraw_services() -> None:
    centre = register()
    centre.offer_service("real_estate.ownership", at=AT)
    centre.offer_service("civil.birth", at=AT)
    centre.offer_service("civil.birth", at=AT)
    assert centre.services == ("civil.birth", "real_estate.ownership")
    assert centre.offers("civil.birth")
    centre.withdraw_service("civil.birth", at=AT)
    centre.withdraw_service("civil.birth", at=AT)
    assert not centre.offers("civil.birth")
    assert names(centre) == ["Registered", "ServiceOffered", "ServiceOffered", "ServiceWithdrawn"]
    assert_refused("service_code", lambda: centre.offer_service("a b", at=AT), centre)
    assert_refused("service_code", lambda: centre.withdraw_service("", at=AT), centre)


def test_reach_agencies_directly_and_stop() -> None:
    centre = register()
    centre.reach_agency_directly("civil_registry", at=AT)
    centre.reach_agency_directly("civil_registry", at=AT)
    assert centre.reaches_directly("civil_registry")
    centre.stop_reaching("civil_registry", at=AT)
    centre.stop_reaching("civil_registry", at=AT)
    assert not centre.reaches_directly("civil_registry")
    assert names(centre) == ["Registered", "DirectAccessGained", "DirectAccessLost"]
    assert_refused("agency_code", lambda: centre.reach_agency_directly(None, at=AT), centre)  # type: ignore[arg-type]


def test_set_opening_hours() -> None:
    centre = register()
    centre.set_opening_hours({"sunday": ("08:00", "20:00"), "monday": ("08:00", "20:00")}, at=AT)
    assert list(centre.hours) == ["monday", "sunday"]
    centre.set_opening_hours({"monday": ("08:00", "20:00"), "sunday": ("08:00", "20:00")}, at=AT)
    assert names(centre) == ["Registered", "OpeningHoursSet"]


@pytest.mark.parametrize(
    ("hours", "named"),
    [
        ({"sunday": ("15:00", "08:00")}, "hours.sunday"),
        ({"sunday": ("08:00", "08:00")}, "hours.sunday"),
        ({"sunday": ("8", "15:00")}, "hours.sunday.opens"),
        ({"sunday": ("08:00", "24:00")}, "hours.sunday.closes"),
        ({"sunday": (time(8, 0, 30), "15:00")}, "hours.sunday.opens"),
        ({"sunday": ("08:00",)}, "hours.sunday"),
        ({"funday": ("08:00", "15:00")}, "hours"),
        ("Sunday-Thursday 08:00-15:00", "hours"),
    ],
)
def test_bad_opening_hours_are_named(hours: object, named: str) -> None:
    centre = register()
    assert_refused(named, lambda: centre.set_opening_hours(hours, at=AT), centre)  # type: ignore[arg-type]


def test_is_open_at_follows_the_hours_on_syria_s_clock() -> None:
    centre = register()
    sunday = datetime(2026, 1, 4, tzinfo=SYRIA_TIME)
    assert centre.is_open_at(sunday.replace(hour=8))
    assert centre.is_open_at(sunday.replace(hour=14, minute=59))
    assert not centre.is_open_at(sunday.replace(hour=15))
    assert not centre.is_open_at(sunday.replace(hour=7, minute=59))
    assert not centre.is_open_at(sunday.replace(hour=10) + timedelta(days=5))  # Friday
    assert centre.is_open_at(datetime(2026, 1, 4, 6, 30, tzinfo=UTC))  # 09:30 in Damascus
    assert not centre.is_open_at(datetime(2026, 1, 4, 12, 30, tzinfo=UTC))  # 15:30
    assert centre.is_open_at(datetime(2026, 1, 4, 9, 0))  # naive times are local


def test_change_status_degraded_and_closed() -> None:
    centre = register()
    centre.change_status("degraded", power_source="solar", at=AT)
    assert (centre.status, centre.power_source) == (OperatingStatus.DEGRADED, PowerSource.SOLAR)
    assert centre.is_open_at(AT)  # work continues on backup power
    centre.change_status(OperatingStatus.DEGRADED, power_source=PowerSource.GENERATOR, at=AT)
    later = AT + timedelta(hours=1)
    centre.change_status("closed", reason="انقطاع الشبكة", at=later)
    assert centre.status is OperatingStatus.CLOSED
    assert centre.power_source is None
    assert centre.status_reason == "انقطاع الشبكة"
    assert centre.status_since == later
    assert not centre.is_open_at(later)
    centre.change_status("open", at=later)
    centre.change_status("open", power_source="grid", at=later)
    assert (centre.status, centre.power_source) == (OperatingStatus.OPEN, PowerSource.GRID)
    assert centre.status_reason is None
    assert names(centre) == ["Registered"] + ["StatusChanged"] * 4


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"status": "degraded"}, "power_source"),
        ({"status": "degraded", "power_source": "grid"}, "power_source"),
        ({"status": "open", "power_source": "generator"}, "power_source"),
        ({"status": "closed"}, "reason"),
        ({"status": "closed", "reason": "  "}, "reason"),
        ({"status": "closed", "reason": "x" * 301}, "reason"),
        ({"status": "paused"}, "status"),
        ({"status": "degraded", "power_source": "wind"}, "power_source"),
    ],
)
def test_bad_status_changes_are_named(kwargs: dict[str, Any], named: str) -> None:
    centre = register()
    assert_refused(named, lambda: centre.change_status(at=AT, **kwargs), centre)


# -- replay ---------------------------------------------------------------------------------


def test_replaying_the_events_rebuilds_identical_state() -> None:
    centre = register(services=["civil.birth"])
    centre.rename("مركز الميدان", "Midan centre", at=AT)
    centre.set_counters(12, at=AT)
    centre.offer_service("justice.criminal_record", at=AT)
    centre.withdraw_service("civil.birth", at=AT)
    centre.reach_agency_directly("civil_registry", at=AT)
    centre.set_opening_hours({"saturday": ("09:00", "12:00")}, at=AT)
    centre.change_status("degraded", power_source="generator", at=AT)
    copy = replay(centre)
    assert vars(copy) == vars(centre)
    assert copy.hours == {"saturday": ("09:00", "12:00")}


_command = st.one_of(
    st.tuples(st.just("counters"), st.integers(-2, MAX_COUNTERS + 2)),
    st.tuples(st.just("offer"), st.sampled_from(["a.x", "b.y", "c.z", "bad code"])),
    st.tuples(st.just("withdraw"), st.sampled_from(["a.x", "b.y", "c.z"])),
    st.tuples(st.just("reach"), st.sampled_from(["civil", "justice", "finance"])),
    st.tuples(st.just("stop"), st.sampled_from(["civil", "justice", "finance"])),
    st.tuples(
        st.just("status"),
        st.tuples(
            st.sampled_from(list(OperatingStatus)),
            st.sampled_from([None, *PowerSource]),
            st.sampled_from([None, "", "صيانة"]),
        ),
    ),
    st.tuples(
        st.just("hours"),
        st.dictionaries(
            st.sampled_from(["sunday", "monday", "friday"]),
            st.tuples(st.integers(0, 23), st.integers(0, 23)),
            max_size=3,
        ),
    ),
)


def _run(centre: Centre, kind: str, arg: Any) -> None:
    if kind == "counters":
        centre.set_counters(arg, at=AT)
    elif kind == "offer":
        centre.offer_service(arg, at=AT)
    elif kind == "withdraw":
        centre.withdraw_service(arg, at=AT)
    elif kind == "reach":
        centre.reach_agency_directly(arg, at=AT)
    elif kind == "stop":
        centre.stop_reaching(arg, at=AT)
    elif kind == "status":
        status, source, reason = arg
        centre.change_status(status, power_source=source, reason=reason, at=AT)
    else:
        hours = {day: (f"{a:02d}:00", f"{b:02d}:00") for day, (a, b) in arg.items()}
        centre.set_opening_hours(hours, at=AT)


@given(st.lists(_command, max_size=25))
def test_random_commands_keep_the_invariants_and_replay(commands: list[tuple[str, Any]]) -> None:
    centre = register()
    for kind, arg in commands:
        before = len(centre.pending_events)
        try:
            _run(centre, kind, arg)
        except ValidationError:
            assert len(centre.pending_events) == before
        assert 1 <= centre.counters <= MAX_COUNTERS
        assert list(centre.services) == sorted(set(centre.services))
        assert list(centre.direct_agencies) == sorted(set(centre.direct_agencies))
        assert all(opens < closes for opens, closes in centre.hours.values())
        if centre.status is OperatingStatus.DEGRADED:
            assert centre.power_source in (PowerSource.GENERATOR, PowerSource.SOLAR)
        if centre.status is OperatingStatus.CLOSED:
            assert centre.status_reason
    assert vars(replay(centre)) == vars(centre)
