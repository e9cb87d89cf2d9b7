"""Money: whole Syrian pounds (ليرة سورية), never fractions, never negative."""

from __future__ import annotations

from .errors import ValidationError


def pounds(field: str, value: object) -> int:
    """An amount of money: whole Syrian pounds, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int):
        # Floats and Decimals too: money is counted in whole pounds, never rounded.
        raise ValidationError(field, f"expected whole Syrian pounds, got {value!r}")
    if value < 0:
        raise ValidationError(field, f"may not be negative, got {value}")
    return value
