"""Tracking numbers: format and parse, the Damm check digit, typed forms, and the request id."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.governorate import Governorate
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.tracking import (
    EXAMPLE,
    SEQUENCE_LIMIT,
    check_digit,
    format_tracking_number,
    parse_tracking_number,
    request_id,
)

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
NUMBER = "DAM-2026-0004821-3"
# A few numbers checked exhaustively: small and large sequences, repeated digits, other years.
EXHAUSTIVE = [
    ("DAM", 2026, 4821),
    ("HMS", 2026, 1),
    ("ALP", 2025, 9_999_999),
    ("DRA", 2031, 1_234_567),
    ("LAT", 2026, 1_111_111),
]
governorates = st.sampled_from([g.value for g in Governorate])
years = st.integers(2000, 2099)
sequences = st.integers(1, SEQUENCE_LIMIT - 1)


def digits_of(number: str) -> str:
    """The 12 digits of a canonical number: year, sequence and the check digit."""
    _, year, sequence, check = number.split("-")
    return year + sequence + check


def with_digits(number: str, digits: str) -> str:
    """``number`` with its 12 digits replaced, dashes where they were."""
    return f"{number[:3]}-{digits[:4]}-{digits[4:11]}-{digits[11]}"


def single_digit_errors(number: str) -> list[str]:
    body = digits_of(number)
    return [
        with_digits(number, body[:i] + d + body[i + 1 :])
        for i in range(len(body))
        for d in "0123456789"
        if d != body[i]
    ]


def adjacent_transpositions(number: str) -> list[str]:
    body = digits_of(number)
    return [
        with_digits(number, body[:i] + body[i + 1] + body[i] + body[i + 2 :])
        for i in range(len(body) - 1)
        if body[i] != body[i + 1]
    ]


def assert_refused(text: Any, field: str = "tracking_number") -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        parse_tracking_number(text, field)
    assert raised.value.field == field
    return raised.value


# -- format and parse ------------------------------------------------------------------------


def test_format_is_the_documented_shape() -> None:
    assert format_tracking_number("DAM", 2026, 4821) == NUMBER
    assert format_tracking_number("HMS", 2026, 1) == "HMS-2026-0000001-2"


def test_check_digit_is_damm() -> None:
    assert check_digit("572") == 4  # the textbook example
    assert check_digit("5724") == 0  # a number with its check digit reduces to 0
    assert check_digit("") == 0


@given(governorates, years, sequences)
def test_parse_returns_what_format_made(governorate: str, year: int, sequence: int) -> None:
    number = format_tracking_number(governorate, year, sequence)
    assert parse_tracking_number(number) == number
    assert check_digit(digits_of(number)) == 0


@pytest.mark.parametrize("sequence", [0, -1, SEQUENCE_LIMIT, SEQUENCE_LIMIT + 1])
def test_format_refuses_sequences_out_of_range(sequence: int) -> None:
    with pytest.raises(ValidationError) as raised:
        format_tracking_number("DAM", 2026, sequence)
    assert raised.value.field == "sequence"


@pytest.mark.parametrize(
    ("governorate", "year", "field"),
    [
        ("dam", 2026, "governorate"),
        ("DAMA", 2026, "governorate"),
        ("XYZ", 2026, "governorate"),  # three letters, but no governorate's code
        ("HOM", 2026, "governorate"),  # Homs is HMS
        ("", 2026, "governorate"),
        ("DAM", 12026, "year"),
        ("DAM", 999, "year"),
    ],
)
def test_format_refuses_what_parse_would_not_give_back(
    governorate: str, year: int, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        format_tracking_number(governorate, year, 4821)
    assert raised.value.field == field


@pytest.mark.parametrize("governorate", list(Governorate), ids=str)
def test_every_governorate_has_numbers(governorate: Governorate) -> None:
    number = format_tracking_number(governorate.value, 2026, 4821)
    assert number.startswith(f"{governorate.value}-2026-0004821-")
    assert parse_tracking_number(number.lower()) == number


@pytest.mark.parametrize("code", ["XYZ", "HOM", "SYR", "ABC"])
def test_parse_refuses_a_code_that_is_no_governorates(code: str) -> None:
    error = assert_refused(f"{code}-2026-0004821-3")  # the check digit is right
    assert error.message == f"{code} is not a governorate's code"


# -- typed forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        NUMBER,
        "dam-2026-0004821-3",
        "Dam 2026 0004821 3",
        "DAM202600048213",
        "  DAM-2026-0004821-3\n",
        "DAM-2026 0004821-3",
        NUMBER.translate(ARABIC_INDIC),
        "dam ٢٠٢٦ ٠٠٠٤٨٢١ ٣",
        NUMBER.translate(PERSIAN),
    ],
)
def test_typed_forms_normalise_to_the_canonical_number(typed: str) -> None:
    assert parse_tracking_number(typed) == NUMBER
    assert request_id(parse_tracking_number(typed)) == request_id(NUMBER)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "DAM",
        "DAM-2026-4821-3",  # sequence not padded
        "DAM-26-0004821-3",
        "DA-2026-0004821-3",
        "DAMA-2026-0004821-3",
        "DAM--2026-0004821-3",
        "DAM-2026-0004821-33",
        "DAM-2026-0004821",
        "DAM_2026_0004821_3",
        "دمش-2026-0004821-3",
        "DAM-2026-0004821-X",
    ],
)
def test_malformed_numbers_are_refused_naming_the_field(typed: str) -> None:
    assert "is not like DAM-2026-" in assert_refused(typed).message


def test_the_example_in_the_error_message_is_a_valid_number() -> None:
    assert EXAMPLE == NUMBER == format_tracking_number("DAM", 2026, 4821)
    assert parse_tracking_number(EXAMPLE) == EXAMPLE
    found = re.search(r"[A-Z]{3}-\d{4}-\d{7}-\d", assert_refused("nonsense").message)
    assert found is not None and found.group() == EXAMPLE


@pytest.mark.parametrize("value", [None, 202600048213, b"DAM-2026-0004821-3", ["DAM"]])
def test_non_text_is_refused(value: Any) -> None:
    assert_refused(value)


def test_the_field_name_is_the_callers() -> None:
    assert_refused("DAM-2026-0004821-4", "requests[2].tracking_number")


def test_wrong_check_digit_says_so() -> None:
    error = assert_refused("DAM-2026-0004821-4")
    assert "wrong check digit" in error.message


@pytest.mark.parametrize(
    "typed",
    [
        "DAM-２０２６-０００４８２１-３",  # fullwidth
        "DAM-२०२६-०००४८२१-३",  # Devanagari
        "DAM-2026-000482১-3",  # one Bengali digit
        "DAM-2026-0004821-３",  # a fullwidth check digit
        "ＤＡＭ-2026-0004821-3",  # fullwidth letters
    ],
)
def test_only_western_and_arabic_indic_digits_are_read(typed: str) -> None:
    assert "is not like" in assert_refused(typed).message


def test_arabic_indic_and_western_digits_may_be_mixed() -> None:
    assert parse_tracking_number("DAM-٢٠٢٦-0004821-٣") == NUMBER


def test_parse_refuses_a_sequence_format_never_makes() -> None:
    body = "20260000000"
    error = assert_refused(f"DAM-2026-0000000-{check_digit(body)}")  # the check digit is right
    assert "has no sequence number" in error.message


@pytest.mark.parametrize("year", ["0000", "0999"])
def test_parse_refuses_a_year_format_never_makes(year: str) -> None:
    assert_refused(f"DAM-{year}-0004821-{check_digit(year + '0004821')}")


# -- the Damm check catches the usual mistakes -----------------------------------------------


@pytest.mark.parametrize(("governorate", "year", "sequence"), EXHAUSTIVE)
def test_every_single_digit_error_is_detected(governorate: str, year: int, sequence: int) -> None:
    number = format_tracking_number(governorate, year, sequence)
    mistyped = single_digit_errors(number)
    assert len(mistyped) == 12 * 9
    for typo in mistyped:
        assert "wrong check digit" in assert_refused(typo).message, typo


@pytest.mark.parametrize(("governorate", "year", "sequence"), EXHAUSTIVE)
def test_every_adjacent_transposition_is_detected(
    governorate: str, year: int, sequence: int
) -> None:
    number = format_tracking_number(governorate, year, sequence)
    for swapped in adjacent_transpositions(number):
        assert_refused(swapped)


def test_the_exhaustive_numbers_have_transpositions_to_check() -> None:
    assert len(adjacent_transpositions(NUMBER)) == 9  # 2026 0004821 3: "00" and "00" don't swap
    assert adjacent_transpositions(format_tracking_number("LAT", 2026, 1_111_111)) != []


@given(
    governorates,
    years,
    sequences,
    st.integers(0, 11),
    st.integers(1, 9),
)
def test_any_single_digit_error_is_detected(
    governorate: str, year: int, sequence: int, position: int, shift: int
) -> None:
    number = format_tracking_number(governorate, year, sequence)
    body = digits_of(number)
    wrong = str((int(body[position]) + shift) % 10)
    assert_refused(with_digits(number, body[:position] + wrong + body[position + 1 :]))


@given(governorates, years, sequences, st.integers(0, 10))
def test_any_adjacent_transposition_is_detected(
    governorate: str, year: int, sequence: int, position: int
) -> None:
    number = format_tracking_number(governorate, year, sequence)
    body = digits_of(number)
    swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
    if swapped == body:
        assert parse_tracking_number(with_digits(number, swapped)) == number
    else:
        assert_refused(with_digits(number, swapped))


# -- the request id --------------------------------------------------------------------------


def test_request_id_is_stable() -> None:
    # Stored events are keyed by this id: it must never change for a given number.
    assert request_id(NUMBER) == uuid.UUID("05079e93-2353-57cd-8b7b-d136dc270867")
    assert request_id(NUMBER) == request_id(NUMBER) == ServiceRequest.create_id(NUMBER)
    assert request_id(format_tracking_number("DAM", 2026, 4822)) != request_id(NUMBER)
    assert request_id(format_tracking_number("HMS", 2026, 4821)) != request_id(NUMBER)


@given(governorates, years, sequences)
def test_request_ids_differ_for_different_numbers(
    governorate: str, year: int, sequence: int
) -> None:
    number = format_tracking_number(governorate, year, sequence)
    other = format_tracking_number(governorate, year, sequence % (SEQUENCE_LIMIT - 1) + 1)
    assert request_id(number) != request_id(other)
    assert request_id(number).version == 5
