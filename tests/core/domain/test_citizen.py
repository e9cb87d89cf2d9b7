"""Citizen: registration, the profile completed once, and the fields it prefills."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.citizen import PROFILE_FIELDS, Citizen, Language, parse_mobile
from khidma.core.domain.errors import InvalidTransition
from khidma.core.domain.governorate import SYRIA_TIME, Governorate

from .aggregates import assert_refused, names, replay

AT = datetime(2026, 1, 4, 9, 0, tzinfo=SYRIA_TIME)
NN = "01234567890"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ID = uuid.UUID("0b5c3d8e-2f4a-4e61-9c7d-5a1b2c3d4e5f")


def register(**overrides: Any) -> Citizen:
    args: dict[str, Any] = {
        "national_number": NN,
        "first_name_ar": "محمد",
        "first_name_en": "Mohammad",
        "last_name_ar": "الأحمد",
        "last_name_en": "Al-Ahmad",
        "at": AT,
        "phone": "0933123456",
        "citizen_id": ID,
    }
    args.update(overrides)
    return Citizen.register(**args)


PROFILE: dict[str, Any] = {
    "father_name": "أحمد",
    "mother_name": "فاطمة الحسن",
    "birth_date": date(1990, 3, 1),
    "birth_place": "حمص",
    "registry_place": "الخالدية",
    "address_governorate": "Homs",
    "address_city": "حمص - الوعر",
    "address_street": "شارع الحضارة، بناء 4",
}


def complete(citizen: Citizen, **overrides: Any) -> None:
    citizen.complete_profile(**{**PROFILE, "at": AT, **overrides})


# -- registration ---------------------------------------------------------------------------


def test_register_normalises_and_takes_the_id_it_is_given() -> None:
    citizen = register(national_number=NN.translate(ARABIC_INDIC), phone="٠٩٣٣ ١٢٣ ٤٥٦")
    assert citizen.national_number == NN
    assert citizen.id == ID  # given by the look-up of national numbers, not derived
    assert not hasattr(Citizen, "id_for")
    assert citizen.phone == "+963933123456"
    assert citizen.language is Language.AR
    assert citizen.registered_at == AT
    assert citizen.full_name_ar == "محمد الأحمد"
    assert citizen.full_name_en == "Mohammad Al-Ahmad"
    assert not citizen.is_complete
    assert names(citizen) == ["Registered"]


def test_a_profile_may_start_without_a_phone() -> None:
    citizen = register(phone=None, language="en")
    assert citizen.phone is None
    assert citizen.language is Language.EN


@pytest.mark.parametrize("number", ["0123456789", "012345678901", "0123456789a", "", 1234567890])
def test_malformed_national_numbers_are_refused(number: object) -> None:
    assert_refused("national_number", lambda: register(national_number=number))


@pytest.mark.parametrize("given", [None, "5f0c4bde-8a40-4c53-9a57-2b0cc7f6a3f1", 7])
def test_the_id_must_be_a_uuid(given: object) -> None:
    assert_refused("citizen_id", lambda: register(citizen_id=given))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name_ar", "Mohammad"),
        ("first_name_ar", "محمد2"),
        ("last_name_ar", ""),
        ("first_name_en", "محمد"),
        ("last_name_en", "Ahmad1"),
        ("last_name_en", "A" * 101),
        ("first_name_en", None),
        ("language", "fr"),
        ("phone", "0112345678"),
    ],
)
def test_bad_registration_fields_are_named(field: str, value: object) -> None:
    assert_refused(field, lambda: register(**{field: value}))


def test_names_keep_their_marks_and_lose_extra_spaces() -> None:
    citizen = register(first_name_ar="عبد   الرَّحمن", last_name_en="O'Neil-Smith Jr.")
    assert citizen.first_name_ar == "عبد الرَّحمن"
    assert citizen.last_name_en == "O'Neil-Smith Jr."


def test_the_clock_must_be_timezone_aware() -> None:
    assert_refused("at", lambda: register(at=datetime(2026, 1, 4, 9)))
    assert_refused("at", lambda: register(at=date(2026, 1, 4)))


# -- phones ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0933123456",
        "0933 123 456",
        "0933-123-456",
        "+963933123456",
        "+963 (933) 123-456",
        "00963933123456",
        "963933123456",
        "933123456",
        "٠٩٣٣١٢٣٤٥٦",
        "+٩٦٣٩٣٣١٢٣٤٥٦",
        "۰۹۳۳۱۲۳۴۵۶",
    ],
)
def test_phones_are_normalised_to_one_form(typed: str) -> None:
    assert parse_mobile(typed) == "+963933123456"


def test_a_bare_nine_digit_number_may_start_with_963() -> None:
    # Found by hypothesis: the prefix is decided by length, not by the leading digits.
    assert parse_mobile("963123456") == "+963963123456"
    assert parse_mobile("0963123456") == "+963963123456"
    assert parse_mobile("963963123456") == "+963963123456"


@pytest.mark.parametrize(
    "typed",
    ["0112345678", "093312345", "09331234567", "+961933123456", "0833123456", "09x3123456", ""],
)
def test_bad_phones_are_refused(typed: str) -> None:
    assert_refused("phone", lambda: parse_mobile(typed))


@given(
    st.sampled_from(["0", "963", "+963", "00963", ""]),
    st.text("0123456789", min_size=8, max_size=8),
    st.booleans(),
)
def test_any_mobile_typed_any_way_has_one_form(prefix: str, rest: str, arabic: bool) -> None:
    typed = f"{prefix}9{rest}"
    assert parse_mobile(typed.translate(ARABIC_INDIC) if arabic else typed) == f"+9639{rest}"


# -- the profile ----------------------------------------------------------------------------


def test_complete_profile_fills_every_field_once() -> None:
    citizen = register()
    complete(citizen)
    assert citizen.is_complete
    assert citizen.address_governorate is Governorate.HOMS
    assert citizen.profile_completed_at == AT
    assert names(citizen) == ["Registered", "ProfileCompleted"]
    with pytest.raises(InvalidTransition):
        complete(citizen)
    assert len(citizen.pending_events) == 2


def test_the_completed_profile_prefills_a_request_form() -> None:
    citizen = register()
    assert citizen.prefill() == {
        "national_number": NN,
        "first_name_ar": "محمد",
        "first_name_en": "Mohammad",
        "last_name_ar": "الأحمد",
        "last_name_en": "Al-Ahmad",
        "phone": "+963933123456",
    }
    complete(citizen)
    filled = citizen.prefill()
    assert filled["birth_date"] == "1990-03-01"
    assert filled["address_governorate"] == "HMS"
    assert filled["mother_name"] == "فاطمة الحسن"
    assert all(isinstance(v, str) for v in filled.values())
    assert set(filled) == {"national_number", *PROFILE_FIELDS}


def test_completing_needs_a_phone_when_registered_without_one() -> None:
    citizen = register(phone=None)
    assert_refused("phone", lambda: complete(citizen), citizen)
    complete(citizen, phone="+963 944 000 111")
    assert citizen.phone == "+963944000111"
    assert citizen.is_complete


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("birth_date", date(2026, 1, 5), "birth_date"),
        ("birth_date", date(1899, 12, 31), "birth_date"),
        ("birth_date", datetime(1990, 3, 1, tzinfo=UTC), "birth_date"),
        ("birth_date", "1990-03-01", "birth_date"),
        ("father_name", "Ahmad", "father_name"),
        ("mother_name", "", "mother_name"),
        ("birth_place", "ح" * 101, "birth_place"),
        ("registry_place", None, "registry_place"),
        ("address_governorate", "Beirut", "address.governorate"),
        ("address_city", "   ", "address.city"),
        ("address_street", "ش" * 301, "address.street"),
        ("phone", "011 222 3333", "phone"),
    ],
)
def test_bad_profile_fields_are_named_and_nothing_is_recorded(
    field: str, value: object, named: str
) -> None:
    citizen = register()
    assert_refused(named, lambda: complete(citizen, **{field: value}), citizen)
    assert not citizen.is_complete


def test_a_birth_date_of_today_in_syria_is_not_in_the_future() -> None:
    late_evening_utc = datetime(2026, 1, 4, 22, 30, tzinfo=UTC)  # already 5 January in Syria
    citizen = register(at=late_evening_utc)
    complete(citizen, birth_date=date(2026, 1, 5), at=late_evening_utc)
    assert citizen.age_on(date(2026, 1, 5)) == 0


def test_update_profile_records_only_what_changed() -> None:
    citizen = register()
    complete(citizen)
    later = AT + timedelta(days=30)
    citizen.update_profile(at=later, address_city="حمص - الإنشاءات", birth_place="حمص")
    last = citizen.pending_events[-1]
    assert type(last).__name__ == "ProfileUpdated"
    assert last.changes == {"address_city": "حمص - الإنشاءات"}  # type: ignore[attr-defined]
    assert citizen.updated_at == later
    citizen.update_profile(at=later, address_city="حمص - الإنشاءات")
    citizen.update_profile(at=later)
    assert names(citizen) == ["Registered", "ProfileCompleted", "ProfileUpdated"]


def test_update_profile_may_fill_an_incomplete_profile_field_by_field() -> None:
    citizen = register()
    citizen.update_profile(at=AT, **PROFILE)
    assert citizen.is_complete
    with pytest.raises(InvalidTransition):
        complete(citizen)


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("first_name_en", "محمد", "first_name_en"),
        ("birth_date", date(2027, 1, 1), "birth_date"),
        ("address_governorate", "XYZ", "address.governorate"),
        ("address_street", "", "address.street"),
    ],
)
def test_update_profile_validates_each_field(field: str, value: object, named: str) -> None:
    citizen = register()
    assert_refused(named, lambda: citizen.update_profile(at=AT, **{field: value}), citizen)


def test_change_phone_and_language() -> None:
    citizen = register()
    citizen.change_phone("+963 988 777 666", at=AT)
    citizen.change_phone("0988777666", at=AT)  # the same number: nothing to record
    citizen.change_language("EN", at=AT)
    citizen.change_language(Language.EN, at=AT)
    assert citizen.phone == "+963988777666"
    assert citizen.language is Language.EN
    assert names(citizen) == ["Registered", "PhoneChanged", "LanguageChanged"]
    assert_refused("phone", lambda: citizen.change_phone("12345", at=AT), citizen)
    assert_refused("language", lambda: citizen.change_language("fr", at=AT), citizen)


def test_change_email_normalises_refuses_and_removes() -> None:
    citizen = register()
    assert citizen.email is None
    citizen.change_email(" Samer.H@Example.SY ", at=AT)
    citizen.change_email("Samer.H@example.sy", at=AT)  # the same address: nothing to record
    assert citizen.email == "Samer.H@example.sy"
    for typed in ("samer", "samer@", "@example.sy", "sa mer@example.sy", "samer@example", 42):
        assert_refused("email", lambda t=typed: citizen.change_email(t, at=AT), citizen)
    assert_refused("email", lambda: citizen.change_email("x" * 250 + "@a.sy", at=AT), citizen)
    citizen.change_email(None, at=AT)
    assert citizen.email is None
    assert names(citizen) == ["Registered", "EmailChanged", "EmailChanged"]
    citizen.change_email("samer@example.sy", at=AT)
    again = replay(citizen)
    assert isinstance(again, Citizen) and again.email == "samer@example.sy"
    again.forget(reason="the citizen's request under the law on personal data", by=ID, at=AT)
    assert again.email is None


def test_age_on() -> None:
    citizen = register()
    assert citizen.age_on(date(2026, 1, 1)) is None
    complete(citizen)
    assert citizen.age_on(date(2026, 2, 28)) == 35
    assert citizen.age_on(date(2026, 3, 1)) == 36


# -- replay ---------------------------------------------------------------------------------


def test_replaying_the_events_rebuilds_identical_state() -> None:
    citizen = register()
    complete(citizen)
    citizen.update_profile(at=AT, address_governorate="دمشق", address_city="الميدان")
    citizen.change_phone("0944111222", at=AT)
    citizen.change_language("en", at=AT)
    copy = replay(citizen)
    assert vars(copy) == vars(citizen)
    assert copy.address_governorate is Governorate.DAMASCUS


_updates = st.fixed_dictionaries(
    {},
    optional={
        "first_name_en": st.sampled_from(["Sami", "Rami", "Lina"]),
        "father_name": st.sampled_from(["خالد", "يوسف"]),
        "birth_date": st.dates(date(1900, 1, 1), date(2026, 1, 4)),
        "address_governorate": st.sampled_from(list(Governorate)),
        "address_city": st.sampled_from(["حماة", "درعا البلد"]),
    },
)
_commands = st.lists(
    st.one_of(
        st.tuples(st.just("update"), _updates),
        st.tuples(st.just("phone"), st.sampled_from(["0933000111", "+963944222333"])),
        st.tuples(st.just("language"), st.sampled_from(list(Language))),
    ),
    max_size=12,
)


@given(_commands)
def test_random_commands_replay_to_the_same_state(commands: list[tuple[str, Any]]) -> None:
    citizen = register()
    for kind, arg in commands:
        if kind == "update":
            citizen.update_profile(at=AT, **arg)
        elif kind == "phone":
            citizen.change_phone(arg, at=AT)
        else:
            citizen.change_language(arg, at=AT)
        assert citizen.birth_date is None or citizen.birth_date <= AT.date()
    assert vars(replay(citizen)) == vars(citizen)
