"""Tracking numbers people can read aloud and type: ``DAM-2026-0004821-3``.

Governorate code, year, a sequence number and a Damm check digit over year and sequence. The
Damm check catches every single wrong digit and every swap of two neighbouring digits, the two
mistakes people make reading a number over the phone or typing it from a receipt.
"""

from __future__ import annotations

import re
import uuid

from .errors import ValidationError
from .governorate import Governorate
from .ids import derived_id
from .text import western_digits

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_FORMAT = re.compile(r"^([A-Z]{3})[-\s]?([0-9]{4})[-\s]?([0-9]{7})[-\s]?([0-9])$", re.ASCII)
EXAMPLE = "DAM-2026-0004821-3"
_CODES = frozenset(g.value for g in Governorate)
_NAMESPACE = uuid.UUID("5b0f6f55-93c4-4a44-9b5a-7d0a3e6f2c11")
SEQUENCE_LIMIT = 10_000_000


def check_digit(digits: str) -> int:
    """The Damm check digit of a string of digits."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def format_tracking_number(governorate: str, year: int, sequence: int) -> str:
    """Compose a tracking number; ``sequence`` is the governorate's count for the year."""
    if governorate not in _CODES:
        raise ValidationError("governorate", f"expected a code such as DAM, not {governorate!r}")
    if not 1000 <= year <= 9999:
        raise ValidationError("year", f"expected a 4-digit year, got {year}")
    if not 0 < sequence < SEQUENCE_LIMIT:
        raise ValidationError("sequence", f"must be 1-{SEQUENCE_LIMIT - 1}")
    body = f"{year:04d}{sequence:07d}"
    return f"{governorate}-{year:04d}-{sequence:07d}-{check_digit(body)}"


def parse_tracking_number(text: object, field: str = "tracking_number") -> str:
    """The canonical form of a typed tracking number, or ValidationError naming ``field``.

    Lower case, Arabic-Indic digits and spaces instead of dashes are accepted.
    """
    if not isinstance(text, str):
        raise ValidationError(field, f"expected text like {EXAMPLE}")
    match = _FORMAT.match(western_digits(text.strip()).upper())
    if not match:
        raise ValidationError(field, f"{text!r} is not like {EXAMPLE}")
    governorate, year, sequence, check = match.groups()
    if governorate not in _CODES:
        raise ValidationError(field, f"{governorate} is not a governorate's code")
    if check_digit(year + sequence) != int(check):
        raise ValidationError(field, f"{text!r} has a wrong check digit: mistyped?")
    if int(year) < 1000:
        raise ValidationError(field, f"{text!r} has no plausible year")
    if int(sequence) == 0:
        raise ValidationError(field, f"{text!r} has no sequence number")
    return f"{governorate}-{year}-{sequence}-{check}"


def request_id(tracking_number: str) -> uuid.UUID:
    """The request's aggregate id, derived from its (canonical) tracking number."""
    return derived_id(_NAMESPACE, tracking_number)
