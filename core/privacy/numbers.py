"""From a national number to its citizen's id, through a table that forgetting empties.

Citizen ids are random (uuid4), so no one can compute a citizen's id from their national
number. ``citizen_numbers`` (migration 0009) maps HMAC-SHA256(number) to the id, under a key
derived from the master key: the table holds no number in clear and cannot be searched by
trying all 11-digit numbers without the master key. Forgetting a citizen deletes their row
(core/privacy/shred.py), in the transaction that destroys their key, so afterwards nothing
links the number to the id; the number may register again, as a new citizen with a new id.

Found ids are cached per process, bounded; a forget notice (the keyring's) drops the
forgotten citizen's entry, and while notices may be missed the cache is not trusted.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..domain.citizen import parse_national_number
from ..events.store import EventStore
from .keyring import keyring_of
from .master import load_master_key

NUMBERS_CACHE = 100_000  # national numbers whose citizen id is kept per process
_INFO = b"khidma citizen numbers"


def numbers_key(master_key: bytes) -> bytes:
    """The HMAC key of ``citizen_numbers``, derived from the master key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master_key)


class CitizenNumbers:
    """Citizen ids by national number; ``connected`` says whether forget notices are heard."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        master_key: bytes,
        *,
        check: Callable[[], Awaitable[None]] | None = None,
        connected: Callable[[], bool] = lambda: True,
        capacity: int = NUMBERS_CACHE,
    ) -> None:
        self._pool = pool
        self._key = numbers_key(master_key)
        self._check = check  # awaited once before the first query: the right master key?
        self._connected = connected
        self._capacity = capacity
        self._ids: OrderedDict[bytes, UUID] = OrderedDict()
        self._digests: dict[UUID, bytes] = {}
        self._notices = 0  # forget notices heard: a look-up that overlapped one is not kept

    def __len__(self) -> int:
        return len(self._ids)

    def digest(self, national_number: object, field: str = "national_number") -> bytes:
        """The keyed digest of a national number (validated and normalised first)."""
        number = parse_national_number(national_number, field)
        return hmac.digest(self._key, number.encode(), hashlib.sha256)

    async def find(self, national_number: object, field: str = "national_number") -> UUID | None:
        """The id of the citizen with this number; None if it was never given one."""
        digest = self.digest(national_number, field)
        return self._cached(digest) or await self._stored(digest)

    async def ensure(self, national_number: object, field: str = "national_number") -> UUID:
        """The id of the citizen with this number, a new random one if it has none yet.

        Concurrent callers with one number get one id; an id given to a registration that
        then failed is simply given to the next.
        """
        digest = self.digest(national_number, field)
        found = self._cached(digest) or await self._stored(digest, claim=uuid.uuid4())
        if found is None:  # it was forgotten in between: give the number a new id
            return await self.ensure(national_number, field)
        return found

    async def link(self, national_number: object, citizen_id: UUID) -> UUID | None:
        """Give a number that has no id yet ``citizen_id`` (a new citizen's, as their identity
        provider names them); return the number's id after it: ``citizen_id``, the one it had
        already, or None if ``citizen_id`` belongs to another number."""
        try:
            return await self._stored(self.digest(national_number), claim=citizen_id)
        except asyncpg.UniqueViolationError:  # the id is another number's
            return None

    async def _stored(self, digest: bytes, claim: UUID | None = None) -> UUID | None:
        """The number's id in the table, first linking it to ``claim`` if it has none;
        remembered unless a forget overlapped the look-up."""
        await self._checked()
        heard = self._notices
        found = None if claim is None else await self._claim(digest, claim)
        if found is None:  # someone else's: the INSERT's snapshot could not see it, a new one can
            found = await self._pool.fetchval(
                "SELECT citizen_id FROM citizen_numbers WHERE digest = $1", digest
            )
        if found is None:
            return None
        self._remember(digest, found, heard)
        return found

    async def _claim(self, digest: bytes, citizen_id: UUID) -> Any:
        """Link ``digest`` to ``citizen_id`` unless it has an id; the id linked now, or None."""
        return await self._pool.fetchval(
            "WITH made AS (INSERT INTO citizen_numbers (digest, citizen_id) VALUES ($1, $2)"
            " ON CONFLICT (digest) DO NOTHING RETURNING citizen_id)"
            " SELECT citizen_id FROM made",
            digest,
            citizen_id,
        )

    async def forget(self, conn: asyncpg.Connection, citizen_id: UUID) -> None:
        """Unlink ``citizen_id`` from its number inside the caller's transaction (idempotent)."""
        await conn.execute("DELETE FROM citizen_numbers WHERE citizen_id = $1", citizen_id)

    def forgotten(self, citizen_id: UUID | None) -> None:
        """A forget notice: drop ``citizen_id``'s number (None: every cached number)."""
        self._notices += 1
        if citizen_id is None:
            self._ids.clear()
            self._digests.clear()
            return
        digest = self._digests.pop(citizen_id, None)
        if digest is not None:
            self._ids.pop(digest, None)

    def _cached(self, digest: bytes) -> UUID | None:
        if not self._connected():
            return None  # a forget notice may be lost while LISTEN is down: ask the table
        found = self._ids.get(digest)
        if found is not None:
            self._ids.move_to_end(digest)
        return found

    def _remember(self, digest: bytes, citizen_id: UUID, heard: int) -> None:
        if heard != self._notices:
            return  # a forget overlapped the look-up: the id may be unlinked already
        self._ids[digest] = citizen_id
        self._digests[citizen_id] = digest
        self._ids.move_to_end(digest)
        while len(self._ids) > self._capacity:
            _, dropped = self._ids.popitem(last=False)
            self._digests.pop(dropped, None)

    async def _checked(self) -> None:
        if self._check is not None:
            await self._check()
            self._check = None


_NUMBERS: weakref.WeakKeyDictionary[EventStore, CitizenNumbers] = weakref.WeakKeyDictionary()


def numbers_of(store: EventStore) -> CitizenNumbers:
    """The store's citizen numbers (one per store per process), hearing the keyring's forgets."""
    found = _NUMBERS.get(store)
    if found is None:
        keyring = keyring_of(store)
        held = weakref.ref(store)
        found = CitizenNumbers(
            store.pool,
            load_master_key(store.settings),
            check=keyring.check_master_key,
            connected=lambda: (s := held()) is not None and s.listener.pid is not None,
        )
        keyring.on_forget(found.forgotten)
        _NUMBERS[store] = found
    return found
