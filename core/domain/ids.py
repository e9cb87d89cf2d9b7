"""Ids derived from natural keys: a centre's code, a staff number, a tracking number (never a
national number: citizen ids are random, see core/privacy/numbers.py)."""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha1
from uuid import UUID


@lru_cache(maxsize=65_536)
def derived_id(namespace: UUID, name: str) -> UUID:
    """``uuid5(namespace, name)``, remembered: every command derives the same few ids again."""
    digest = bytearray(sha1(namespace.bytes + name.encode()).digest()[:16])
    # The version and variant bits set on the bytes: uuid5 sets them on a 128-bit integer.
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return UUID(bytes=bytes(digest))
