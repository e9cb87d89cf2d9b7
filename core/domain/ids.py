"""Ids derived from natural keys: a centre's code, a staff number, a tracking number (never a
national number: citizen ids are random, see core/privacy/numbers.py)."""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha1
from uuid import UUID

from asyncpg.pgproto.pgproto import UUID as FastUUID


@lru_cache(maxsize=65_536)
def derived_id(namespace: UUID, name: str) -> UUID:
    """``uuid5(namespace, name)``, remembered: every command derives the same few ids again.

    Made as asyncpg's UUID (a ``uuid.UUID`` equal to and hashing as the standard one): what
    the database gives back for uuid columns, its hash computed in C once. A command looks up
    the ids it derives in dicts dozens of times; the standard UUID hashes in Python each time.
    """
    digest = bytearray(sha1(namespace.bytes + name.encode()).digest()[:16])
    # The version and variant bits set on the bytes: uuid5 sets them on a 128-bit integer.
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return FastUUID(bytes(digest))
