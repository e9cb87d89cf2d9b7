"""Text as citizens type it: Arabic-Indic digits, bilingual names, bounded strings."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ValidationError

# Arabic-Indic (٠-٩) and Eastern Arabic-Indic/Persian (۰-۹) digits, as phones type them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def western_digits(text: str) -> str:
    """``text`` with Arabic-Indic digits replaced by 0-9."""
    return text.translate(_DIGITS)


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
