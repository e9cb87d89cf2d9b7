"""Ids derived from natural keys: a centre's code, a national number, a tracking number."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5


@lru_cache(maxsize=65_536)
def derived_id(namespace: UUID, name: str) -> UUID:
    """``uuid5(namespace, name)``, remembered: every command derives the same few ids again."""
    return uuid5(namespace, name)
