"""What a queue is made of: its categories and tickets, and the checks on their input."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from .errors import ValidationError
from .text import Bilingual, bounded

MAX_CATEGORIES = 50

_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PREFIX = re.compile(r"[A-Z]{1,2}")


class Channel(StrEnum):
    """Where the ticket was taken."""

    KIOSK = "kiosk"
    APP = "app"


class TicketStatus(StrEnum):
    """Where a ticket stands; the last three are final."""

    WAITING = "waiting"
    SERVING = "serving"
    SERVED = "served"
    NO_SHOW = "no_show"
    NOT_SERVED = "not_served"


FINISHED = frozenset({TicketStatus.SERVED, TicketStatus.NO_SHOW, TicketStatus.NOT_SERVED})


@dataclass(frozen=True, slots=True)
class Category:
    """A service category of the day's queue (state only; events carry plain values)."""

    code: str
    prefix: str
    name_ar: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """One ticket and its timestamps (state only; events carry plain values)."""

    number: str
    category: str
    seq: int
    order: int  # issue order across all categories of the day
    channel: Channel
    citizen_id: UUID | None
    taken_at: datetime
    status: TicketStatus = TicketStatus.WAITING
    called_at: datetime | None = None
    counter: int | None = None
    clerk_id: UUID | None = None
    recalls: int = 0
    finished_at: datetime | None = None
    request_ids: tuple[UUID, ...] = ()


def whole_number(field: str, value: object, highest: int) -> int:
    """A whole number in 1..``highest``, e.g. a counter."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
        raise ValidationError(field, f"expected a whole number in 1..{highest}, got {value!r}")
    return value


def a_uuid(field: str, value: object) -> UUID:
    """An id given as a UUID (a clerk's, a citizen's, a request's)."""
    if not isinstance(value, UUID):
        raise ValidationError(field, f"expected a UUID, got {type(value).__name__}")
    return value


def not_before(field: str, at: datetime, earlier: datetime, what: str) -> None:
    """Refuse a time before an earlier moment of the same ticket or queue."""
    if at < earlier:
        raise ValidationError(field, f"{at.isoformat()} is before {what} ({earlier.isoformat()})")


def parse_categories(value: object) -> list[dict[str, str]]:
    """The day's (code, prefix, name_ar, name_en) categories, as plain dicts for an event."""
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ValidationError("categories", "expected a non-empty list of categories")
    if len(value) > MAX_CATEGORIES:
        raise ValidationError("categories", f"at most {MAX_CATEGORIES}, got {len(value)}")
    result: list[dict[str, str]] = []
    for i, item in enumerate(value):
        field = f"categories[{i}]"
        if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 4:
            raise ValidationError(field, "expected (code, prefix, name_ar, name_en)")
        code = bounded(f"{field}.code", item[0], 32)
        if not _CODE.fullmatch(code):
            raise ValidationError(f"{field}.code", f"expected a short lowercase code, got {code!r}")
        prefix = bounded(f"{field}.prefix", item[1], 2).upper()
        if not _PREFIX.fullmatch(prefix):
            raise ValidationError(f"{field}.prefix", f"expected 1 or 2 letters, got {prefix!r}")
        if any(c["code"] == code for c in result):
            raise ValidationError(f"{field}.code", f"category {code!r} given twice")
        if any(c["prefix"] == prefix for c in result):
            raise ValidationError(f"{field}.prefix", f"prefix {prefix!r} already used")
        name = Bilingual.of(f"{field}.name", item[2], item[3], 100)
        result.append({"code": code, "prefix": prefix, "name_ar": name.ar, "name_en": name.en})
    return result
