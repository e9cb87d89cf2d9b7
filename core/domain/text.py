"""Text as citizens type it: Arabic-Indic digits, bilingual names, bounded strings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import TypeVar

from .errors import ValidationError

# Arabic-Indic (٠-٩) and Eastern Arabic-Indic/Persian (۰-۹) digits, as phones type them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def western_digits(text: str) -> str:
    """``text`` with Arabic-Indic digits replaced by 0-9."""
    return text if text.isascii() else text.translate(_DIGITS)


def digits(field: str, value: object, length: int | None = None) -> str:
    """A string of digits (Arabic-Indic accepted), spaces and dashes dropped."""
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    cleaned = western_digits(value).replace(" ", "").replace("-", "")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise ValidationError(field, f"expected digits only, got {value!r}")
    if length is not None and len(cleaned) != length:
        raise ValidationError(field, f"expected {length} digits, got {len(cleaned)}")
    return cleaned


def bounded(field: str, value: object, maximum: int = 200, *, required: bool = True) -> str:
    """Trimmed text of at most ``maximum`` characters."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationError(field, "expected text")
    text = value.strip()
    if required and not text:
        raise ValidationError(field, "required")
    if len(text) > maximum:
        raise ValidationError(field, f"at most {maximum} characters, got {len(text)}")
    return text


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A name in Arabic and English, as every service, centre and notification carries."""

    ar: str
    en: str

    @classmethod
    def of(cls, field: str, ar: object, en: object, maximum: int = 200) -> Bilingual:
        return cls(bounded(f"{field}.ar", ar, maximum), bounded(f"{field}.en", en, maximum))


E = TypeVar("E", bound=Enum)
S = TypeVar("S", bound=StrEnum)
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")


def choice(field: str, kind: type[E], value: object) -> E:
    """A member of the enum ``kind``, given as a member or its value (case-insensitive)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for member in kind:
            if str(member.value).casefold() == wanted:
                return member
    allowed = ", ".join(str(member.value) for member in kind)
    raise ValidationError(field, f"unknown value {value!r}; expected one of {allowed}")


def choices(field: str, kind: type[S], values: object) -> list[S]:
    """One or more members of the enum ``kind`` (each as :func:`choice` takes it), sorted."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(field, f"expected a list of {', '.join(kind)}")
    members = {choice(f"{field}[{i}]", kind, v) for i, v in enumerate(values)}
    if not members:
        raise ValidationError(field, "at least one is needed")
    return sorted(members)


def whole_days(field: str, value: object, low: int, high: int) -> int:
    """A whole number of days from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, "expected a whole number of days")
    if not low <= value <= high:
        raise ValidationError(field, f"expected {low} to {high} days, got {value}")
    return value


def code(field: str, value: object, maximum: int = 32) -> str:
    """An upper-case code such as ``HMS-01``: letters, digits and single dashes."""
    text = western_digits(bounded(field, value, maximum)).upper()
    if not _CODE.match(text):
        raise ValidationError(field, f"{value!r} is not a code like HMS-01")
    return text


def reference(field: str, value: object, maximum: int = 100) -> str:
    """A reference to something defined elsewhere (a service or agency code): no spaces."""
    text = bounded(field, value, maximum)
    if any(ch.isspace() for ch in text):
        raise ValidationError(field, f"{value!r} may not contain spaces")
    return text


def moment(field: str, value: object) -> datetime:
    """A timezone-aware date and time, as commands receive their clock."""
    if not isinstance(value, datetime):
        raise ValidationError(field, "expected a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "expected a timezone-aware date and time")
    return value
