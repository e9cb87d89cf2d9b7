"""Form schemas: the fields a citizen fills in for a service, and the check of what they typed.

A schema is a plain JSON-able dict, so it can travel in events and come from plugins::

    {"fields": [
        {"name": "national_number", "type": "digits", "length": 11,
         "label": {"ar": "الرقم الوطني", "en": "National number"}},
        {"name": "purpose", "type": "choice", "required": False,
         "label": {"ar": "الغاية", "en": "Purpose"},
         "options": [{"value": "travel", "label": {"ar": "سفر", "en": "Travel"}}]},
    ]}

Field types and their settings: ``text`` (``max_length``, default 200), ``digits`` (``length``,
required), ``date`` (``not_in_future``, default false), ``choice`` (``options``), ``integer``
(``min``, ``max``, both optional), ``boolean``. Every field has ``name``, ``type``, ``label``
(``ar`` and ``en``) and ``required`` (default true). Unknown keys are refused, so a typo in a
plugin's schema fails when the service is added, not when a citizen files a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .errors import ValidationError
from .text import Bilingual, bounded, digits, western_digits

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT_LENGTH = 10_000
MAX_DIGITS = 64
DEFAULT_TEXT_LENGTH = 200


class FieldType(StrEnum):
    TEXT = "text"
    DIGITS = "digits"
    DATE = "date"
    CHOICE = "choice"
    INTEGER = "integer"
    BOOLEAN = "boolean"


_COMMON_KEYS = frozenset({"name", "type", "label", "required"})
_TYPE_KEYS: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: frozenset({"max_length"}),
    FieldType.DIGITS: frozenset({"length"}),
    FieldType.DATE: frozenset({"not_in_future"}),
    FieldType.CHOICE: frozenset({"options"}),
    FieldType.INTEGER: frozenset({"min", "max"}),
    FieldType.BOOLEAN: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a ``choice`` field: the stored value and its labels."""

    value: str
    label: Bilingual


@dataclass(frozen=True, slots=True)
class FormField:
    """One field; only the settings of its own type are meaningful."""

    name: str
    type: FieldType
    label: Bilingual
    required: bool = True
    max_length: int = DEFAULT_TEXT_LENGTH
    length: int = 0
    not_in_future: bool = False
    options: tuple[Choice, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type.value,
            "label": {"ar": self.label.ar, "en": self.label.en},
            "required": self.required,
        }
        if self.type is FieldType.TEXT:
            out["max_length"] = self.max_length
        elif self.type is FieldType.DIGITS:
            out["length"] = self.length
        elif self.type is FieldType.DATE:
            out["not_in_future"] = self.not_in_future
        elif self.type is FieldType.CHOICE:
            out["options"] = [
                {"value": c.value, "label": {"ar": c.label.ar, "en": c.label.en}}
                for c in self.options
            ]
        elif self.type is FieldType.INTEGER:
            if self.minimum is not None:
                out["min"] = self.minimum
            if self.maximum is not None:
                out["max"] = self.maximum
        return out

    def clean(self, path: str, value: object, today: date | None) -> object:
        """The normalised value of a present, non-empty ``value``; raises naming ``path``."""
        match self.type:
            case FieldType.TEXT:
                return bounded(path, value, self.max_length)
            case FieldType.DIGITS:
                return digits(path, value, self.length)
            case FieldType.DATE:
                return self._clean_date(path, value, today)
            case FieldType.CHOICE:
                allowed = [c.value for c in self.options]
                if not isinstance(value, str) or value not in allowed:
                    raise ValidationError(path, f"expected one of {', '.join(allowed)}")
                return value
            case FieldType.INTEGER:
                return self._clean_integer(path, value)
            case FieldType.BOOLEAN:
                if not isinstance(value, bool):
                    raise ValidationError(path, "expected true or false")
                return value

    def _clean_date(self, path: str, value: object, today: date | None) -> str:
        if isinstance(value, datetime):
            raise ValidationError(path, "expected a date without a time")
        if isinstance(value, date):
            day = value
        elif isinstance(value, str):
            try:
                day = date.fromisoformat(western_digits(value.strip()))
            except ValueError:
                raise ValidationError(path, f"expected YYYY-MM-DD, got {value!r}") from None
        else:
            raise ValidationError(path, "expected a date as YYYY-MM-DD")
        if self.not_in_future:
            if today is None:
                raise TypeError(f"{path} may not be in the future: pass today= to validate()")
            if day > today:
                raise ValidationError(path, f"may not be in the future ({day.isoformat()})")
        return day.isoformat()

    def _clean_integer(self, path: str, value: object) -> int:
        if isinstance(value, str):
            text = western_digits(value.strip())
            if not re.fullmatch(r"-?[0-9]{1,18}", text):
                raise ValidationError(path, f"expected a whole number, got {value!r}")
            number = int(text)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise ValidationError(path, "expected a whole number")
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(path, f"at least {self.minimum}, got {number}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(path, f"at most {self.maximum}, got {number}")
        return number


@dataclass(frozen=True, slots=True)
class FormSchema:
    """The fields of a service's form, in the order they are shown."""

    fields: tuple[FormField, ...] = ()

    @classmethod
    def from_dict(cls, raw: object, field: str = "form_schema") -> FormSchema:
        """Parse and check a schema dict; errors name the bad part (``form_schema.fields[2]``)."""
        raw = _mapping(field, raw)
        _no_extra_keys(field, raw, {"fields"})
        items = raw.get("fields", [])
        if not isinstance(items, list | tuple):
            raise ValidationError(f"{field}.fields", "expected a list of fields")
        parsed: list[FormField] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            path = f"{field}.fields[{i}]"
            form_field = _parse_field(path, item)
            if form_field.name in seen:
                raise ValidationError(f"{path}.name", f"{form_field.name!r} is used twice")
            seen.add(form_field.name)
            parsed.append(form_field)
        return cls(tuple(parsed))

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [f.to_dict() for f in self.fields]}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def validate(
        self, data: object, *, today: date | None = None, field: str = "form"
    ) -> dict[str, Any]:
        """The citizen's entries, normalised (trimmed text, western digits, ISO dates).

        Optional fields left out, None or blank are omitted from the result. ``today`` is needed
        only when a date field may not be in the future (the clock is passed in, never read).
        """
        entries = _mapping(field, data)
        known = set(self.names)
        for key in entries:
            if key not in known:
                raise ValidationError(f"{field}.{key}", "unknown field")
        cleaned: dict[str, Any] = {}
        for form_field in self.fields:
            path = f"{field}.{form_field.name}"
            value = entries.get(form_field.name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if form_field.required:
                    raise ValidationError(path, "required")
                continue
            cleaned[form_field.name] = form_field.clean(path, value, today)
        return cleaned


def validate_schema(raw: object, field: str = "form_schema") -> dict[str, Any]:
    """The canonical dict of a valid schema (defaults filled in); raises naming the bad part."""
    return FormSchema.from_dict(raw, field).to_dict()


def _parse_field(path: str, raw: object) -> FormField:
    item = _mapping(path, raw)
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(f"{path}.name", "expected a lower-case name like birth_date")
    try:
        kind = FieldType(item.get("type"))
    except ValueError:
        kinds = ", ".join(t.value for t in FieldType)
        raise ValidationError(f"{path}.type", f"expected one of {kinds}") from None
    _no_extra_keys(path, item, _COMMON_KEYS | _TYPE_KEYS[kind])
    label = _label(f"{path}.label", item.get("label"))
    required = _flag(f"{path}.required", item.get("required", True))
    settings: dict[str, Any] = {}
    if kind is FieldType.TEXT:
        max_length = item.get("max_length", DEFAULT_TEXT_LENGTH)
        settings["max_length"] = _whole(f"{path}.max_length", max_length, 1, MAX_TEXT_LENGTH)
    elif kind is FieldType.DIGITS:
        settings["length"] = _whole(f"{path}.length", item.get("length"), 1, MAX_DIGITS)
    elif kind is FieldType.DATE:
        settings["not_in_future"] = _flag(f"{path}.not_in_future", item.get("not_in_future", False))
    elif kind is FieldType.CHOICE:
        settings["options"] = _options(f"{path}.options", item.get("options"))
    elif kind is FieldType.INTEGER:
        low, high = item.get("min"), item.get("max")
        settings["minimum"] = None if low is None else _whole(f"{path}.min", low)
        settings["maximum"] = None if high is None else _whole(f"{path}.max", high)
        if low is not None and high is not None and low > high:
            raise ValidationError(f"{path}.max", f"must not be below min ({low})")
    return FormField(name=name, type=kind, label=label, required=required, **settings)


def _options(path: str, raw: object) -> tuple[Choice, ...]:
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationError(path, "expected a non-empty list of options")
    options: list[Choice] = []
    for i, item in enumerate(raw):
        option = _mapping(f"{path}[{i}]", item)
        _no_extra_keys(f"{path}[{i}]", option, {"value", "label"})
        value = option.get("value")
        if not isinstance(value, str) or not _NAME.match(value):
            raise ValidationError(f"{path}[{i}].value", "expected a lower-case value like travel")
        if any(c.value == value for c in options):
            raise ValidationError(f"{path}[{i}].value", f"{value!r} is used twice")
        options.append(Choice(value, _label(f"{path}[{i}].label", option.get("label"))))
    return tuple(options)


def _label(path: str, raw: object) -> Bilingual:
    label = _mapping(path, raw)
    _no_extra_keys(path, label, {"ar", "en"})
    return Bilingual.of(path, label.get("ar"), label.get("en"))


def _mapping(path: str, raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValidationError(path, "expected an object")
    return raw


def _no_extra_keys(path: str, raw: Mapping[str, Any], allowed: set[str] | frozenset[str]) -> None:
    for key in raw:
        if key not in allowed:
            raise ValidationError(f"{path}.{key}", "unknown setting")


def _flag(path: str, raw: object) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError(path, "expected true or false")
    return raw


def _whole(path: str, raw: object, low: int | None = None, high: int | None = None) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ValidationError(path, "expected a whole number")
    if low is not None and raw < low:
        raise ValidationError(path, f"at least {low}, got {raw}")
    if high is not None and raw > high:
        raise ValidationError(path, f"at most {high}, got {raw}")
    return raw
