"""Ids derived from natural keys: a centre's code, a staff number, a tracking number (never a
national number: citizen ids are random, see core/privacy/numbers.py)."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5


@lru_cache(maxsize=65_536)
def derived_id(namespace: UUID, name: str) -> UUID:
    """``uuid5(namespace, name)``, remembered: every command derives the same few ids again."""
    return uuid5(namespace, name)
