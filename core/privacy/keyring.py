"""The keyring: one AES-256-GCM data key per data subject, wrapped by the master key.

Keys live in ``subject_keys`` (migration 0007), only ever wrapped (RFC 3394 AES key wrap).
Unwrapped keys are cached per process, bounded, least recently used dropped first. Encoding
and decoding are synchronous (eventsourcing's Mapper), so the keys a batch needs are fetched
first (:meth:`Keyring.ensure` to write, :meth:`Keyring.load` to read) and :meth:`Keyring.aead`
only looks in the cache, raising :class:`KeyNotPrefetched` rather than guessing.

Forgetting a subject destroys its key in the database and NOTIFYs every process (a
``forget:<subject>`` payload on the store's channel), which drops it from its cache; while a
process's LISTEN connection is down it trusts no cached key and asks the database each time.
"""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from ..domain.errors import InvalidTransition
from ..events.locks import channel
from ..events.store import EventStore
from .master import load_master_key, master_key_path

KEY_CACHE = 50_000  # unwrapped keys kept per process
# A row that only proves the master key: 32 zero bytes wrapped by it (AES key wrap is
# deterministic). The first master key to start writes it; any other is refused before it
# reads a key, or makes one nobody else could unwrap.
CHECK_ROW = UUID(int=0)
FORGET = "forget:"  # NOTIFY payload prefix: the subject whose key was destroyed


class KeyNotPrefetched(RuntimeError):
    """A subject's key was needed by the mapper but not fetched for this batch (a bug)."""

    def __init__(self, subject: UUID) -> None:
        super().__init__(f"the key of subject {subject} was not fetched before mapping")
        self.subject = subject


class MasterKeyMismatch(RuntimeError):
    """The configured master key did not wrap the keys in this database."""


class SubjectForgotten(InvalidTransition):
    """Personal data of a forgotten citizen cannot be written again."""

    def __init__(self, subject: UUID) -> None:
        super().__init__("record personal data", "the citizen is forgotten", str(subject))
        self.subject = subject


class Keyring:
    """Data keys by subject; ``connected`` says whether forget notices are being heard."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        master_key: bytes,
        *,
        notify_channel: str,
        connected: Callable[[], bool] = lambda: True,
        capacity: int = KEY_CACHE,
        source: str = "the master key",
    ) -> None:
        self._pool = pool
        self._master = master_key
        self._channel = notify_channel
        self._connected = connected
        self._capacity = capacity
        self._source = source
        # None: the key was destroyed (or never existed for a sealed value).
        self._keys: OrderedDict[UUID, AESGCM | None] = OrderedDict()
        self._on_forget: list[Callable[[UUID | None], None]] = []
        self._notices = 0  # forget notices heard: a fetch that overlapped one is redone
        self._checked = False

    def __len__(self) -> int:
        return len(self._keys)

    def on_forget(self, callback: Callable[[UUID | None], None]) -> None:
        """Call ``callback(subject)`` when a subject is forgotten (None: maybe any was)."""
        self._on_forget.append(callback)

    def aead(self, subject: UUID) -> AESGCM | None:
        """The cached cipher of ``subject``; None if its key was destroyed."""
        try:
            found = self._keys[subject]
        except KeyError:
            raise KeyNotPrefetched(subject) from None
        self._keys.move_to_end(subject)
        return found

    async def ensure(self, subjects: Iterable[UUID], *, refuse_forgotten: bool = True) -> None:
        """Have the keys to write ``subjects``' data, making those that do not exist yet.

        SubjectForgotten if any was destroyed: nothing personal is written for them again.
        """
        subjects = list(dict.fromkeys(subjects))
        missing = self._missing(subjects)
        if missing:
            await self._fetch(missing, create=True)
        if not refuse_forgotten:
            return
        for subject in subjects:
            if self._keys.get(subject, False) is None:
                raise SubjectForgotten(subject)

    async def load(self, subjects: Iterable[UUID]) -> None:
        """Have the keys to read ``subjects``' sealed values (destroyed ones remembered)."""
        missing = self._missing(subjects)
        if missing:
            await self._fetch(missing, create=False)

    async def destroy(self, conn: asyncpg.Connection, subject: UUID, reason: str) -> None:
        """Destroy ``subject``'s key inside the caller's transaction (idempotent; the first
        reason and time are kept) and tell every process once it commits."""
        await conn.execute(
            "INSERT INTO subject_keys (subject_id, wrapped, destroyed_at, reason)"
            " VALUES ($1, NULL, clock_timestamp(), $2)"
            " ON CONFLICT (subject_id) DO UPDATE SET wrapped = NULL,"
            " destroyed_at = coalesce(subject_keys.destroyed_at, excluded.destroyed_at),"
            " reason = coalesce(subject_keys.reason, excluded.reason)",
            subject,
            reason,
        )
        await conn.execute("SELECT pg_notify($1, $2)", self._channel, FORGET + subject.hex)

    def forgotten(self, subject: UUID | None) -> None:
        """A forget notice: drop ``subject``'s key (None: every key) and tell the callbacks."""
        self._notices += 1
        if subject is None:
            self._keys.clear()
        else:
            self._keys[subject] = None
            self._keys.move_to_end(subject)
            self._trim()
        for callback in self._on_forget:
            callback(subject)

    async def check_master_key(self) -> None:
        """MasterKeyMismatch unless the master key wrapped this database's keys (asked once)."""
        if not self._checked:
            await self._check_master_key()

    def _missing(self, subjects: Iterable[UUID]) -> list[UUID]:
        wanted = list(dict.fromkeys(subjects))
        if not self._connected():
            # A forget notice may be lost while LISTEN is down: trust no cached key, ask again.
            return wanted
        return [s for s in wanted if s not in self._keys]

    async def _fetch(self, subjects: list[UUID], *, create: bool) -> None:
        if not self._checked:
            await self._check_master_key()
        while True:
            heard = self._notices
            found = await self._read(subjects, create=create)
            if heard == self._notices:  # else a key read may have been destroyed meanwhile
                break
        for subject in subjects:
            wrapped = found.get(subject)
            self._keys[subject] = (
                None if wrapped is None else AESGCM(self._unwrap(subject, wrapped))
            )
            self._keys.move_to_end(subject)
        self._trim()

    async def _read(self, subjects: list[UUID], *, create: bool) -> dict[UUID, bytes | None]:
        """The wrapped keys of ``subjects`` (None: destroyed), made first if ``create``."""
        rows = await self._pool.fetch(
            "SELECT subject_id, wrapped FROM subject_keys WHERE subject_id = ANY($1::uuid[])",
            subjects,
        )
        found = {r["subject_id"]: r["wrapped"] for r in rows}
        absent = [s for s in subjects if s not in found]
        if create and absent:
            fresh = [aes_key_wrap(self._master, os.urandom(32)) for _ in absent]
            await self._pool.execute(
                "INSERT INTO subject_keys (subject_id, wrapped)"
                " SELECT * FROM unnest($1::uuid[], $2::bytea[]) ON CONFLICT DO NOTHING",
                absent,
                fresh,
            )
            # Re-read: a concurrent writer may have made some of them first.
            rows = await self._pool.fetch(
                "SELECT subject_id, wrapped FROM subject_keys WHERE subject_id = ANY($1::uuid[])",
                absent,
            )
            found.update((r["subject_id"], r["wrapped"]) for r in rows)
        return found

    async def _check_master_key(self) -> None:
        await self._pool.execute(
            "INSERT INTO subject_keys (subject_id, wrapped) VALUES ($1, $2)"
            " ON CONFLICT (subject_id) DO NOTHING",
            CHECK_ROW,
            aes_key_wrap(self._master, bytes(32)),
        )
        wrapped = await self._pool.fetchval(
            "SELECT wrapped FROM subject_keys WHERE subject_id = $1", CHECK_ROW
        )
        if wrapped is None or self._unwrap(CHECK_ROW, wrapped) != bytes(32):
            raise MasterKeyMismatch(f"{self._source} is not the master key of this database")
        self._checked = True

    def _unwrap(self, subject: UUID, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._master, wrapped)
        except InvalidUnwrap:
            raise MasterKeyMismatch(
                f"{self._source} does not unwrap the key of subject {subject}: this database's"
                " keys were wrapped with another master key (KHIDMA_MASTER_KEY_FILE)"
            ) from None

    def _trim(self) -> None:
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)


_KEYRINGS: weakref.WeakKeyDictionary[EventStore, Keyring] = weakref.WeakKeyDictionary()


def keyring_of(store: EventStore) -> Keyring:
    """The store's keyring (one per store per process), listening for forget notices."""
    found = _KEYRINGS.get(store)
    if found is None:
        settings = store.settings
        held = weakref.ref(store)  # the keyring must not keep its store alive
        found = Keyring(
            store.pool,
            load_master_key(settings),
            notify_channel=channel(settings.db_schema),
            connected=lambda: (s := held()) is not None and s.listener.pid is not None,
            source=f"the master key in {master_key_path(settings)}",
        )
        store.on_notice(FORGET, _forget_notice(found))
        _KEYRINGS[store] = found
    return found


def _forget_notice(keyring: Keyring) -> Callable[[str], None]:
    def heard(payload: str) -> None:
        # "" is a (re)connection: notices may have been missed meanwhile.
        keyring.forgotten(UUID(hex=payload) if payload else None)

    return heard
