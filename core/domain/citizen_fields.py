"""A citizen's profile fields as typed at the counter or on the portal, checked and normalised."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from .errors import ValidationError
from .governorate import SYRIA_TIME, Governorate
from .text import bounded, digits, western_digits

EARLIEST_BIRTH = date(1900, 1, 1)
NAME_MAX = 100
PLACE_MAX = 100
STREET_MAX = 300
_NAME_MARKS = frozenset(" -'’.")


def parse_national_number(value: object, field: str = "national_number") -> str:
    """The 11 digits of a Syrian national number (الرقم الوطني); Arabic-Indic digits accepted."""
    return digits(field, value, 11)


def parse_mobile(value: object, field: str = "phone") -> str:
    """A Syrian mobile number as ``+9639XXXXXXXX``, from 09…, 9639…, +9639… or 009639…."""
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    text = western_digits(value).strip().replace("(", "").replace(")", "")
    number = digits(field, text.removeprefix("+"))
    # Decide the prefix by length: a bare 9-digit number may itself start with 963.
    for prefix in ("00963", "963", "0"):
        if len(number) == len(prefix) + 9 and number.startswith(prefix):
            number = number.removeprefix(prefix)
            break
    if len(number) != 9 or not number.startswith("9"):
        raise ValidationError(field, f"{value!r} is not a Syrian mobile number like 09XXXXXXXX")
    return f"+963{number}"


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


def parse_email(value: object, field: str = "email") -> str:
    """An e-mail address (its domain lower-cased), for notices when no SMS gets through."""
    text = bounded(field, value, 254)
    if not _EMAIL.match(text):
        raise ValidationError(field, f"{value!r} is not an e-mail address like name@example.sy")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def person_name(field: str, value: object, script: str) -> str:
    """A name in one script (``ARABIC`` or ``LATIN``): its letters, spaces and - ' . only."""
    text = " ".join(bounded(field, value, NAME_MAX).split())
    for ch in text:
        if ch in _NAME_MARKS:
            continue
        if unicodedata.category(ch)[0] not in "LM" or script not in unicodedata.name(ch, ""):
            which = "Arabic" if script == "ARABIC" else "Latin"
            raise ValidationError(field, f"expected {which} letters only, got {ch!r}")
    return text


def _birth_date(field: str, value: object, at: datetime) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(field, "expected a date")
    if value > at.astimezone(SYRIA_TIME).date():
        raise ValidationError(field, "cannot be in the future")
    if value < EARLIEST_BIRTH:
        raise ValidationError(field, f"cannot be before {EARLIEST_BIRTH.isoformat()}")
    return value


NAMES = ("first_name_ar", "first_name_en", "last_name_ar", "last_name_en")
# Every field of a complete profile, in the order forms show them.
PROFILE_FIELDS = (
    *NAMES,
    "father_name",
    "mother_name",
    "birth_date",
    "birth_place",
    "registry_place",
    "phone",
    "address_governorate",
    "address_city",
    "address_street",
)
# The fields update_profile changes; the phone has its own command, the national number none.
UPDATABLE_FIELDS = tuple(f for f in PROFILE_FIELDS if f != "phone")
_ERROR_NAMES = {
    "address_governorate": "address.governorate",
    "address_city": "address.city",
    "address_street": "address.street",
}


def validate_field(field: str, value: object, at: datetime) -> Any:
    """One profile field, validated; errors name it (``address.city`` for address parts)."""
    name = _ERROR_NAMES.get(field, field)
    if field.endswith("_ar") or field in ("father_name", "mother_name"):
        # Parents' names are recorded as the civil registry writes them: in Arabic.
        return person_name(name, value, "ARABIC")
    if field.endswith("_en"):
        return person_name(name, value, "LATIN")
    if field == "birth_date":
        return _birth_date(name, value, at)
    if field == "phone":
        return parse_mobile(value, name)
    if field == "address_governorate":
        return Governorate.parse(name, value)
    if field == "address_street":
        return bounded(name, value, STREET_MAX)
    return bounded(name, value, PLACE_MAX)
