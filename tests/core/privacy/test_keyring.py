"""The keyring: wrapped keys in their own table, destroyed by forget, caches kept honest."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import stat
import uuid
from pathlib import Path

import pytest

from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.core.events.locks import channel
from khidma.core.privacy import (
    KeyNotPrefetched,
    Keyring,
    MasterKeyMismatch,
    SubjectForgotten,
    keyring_of,
)
from khidma.core.privacy.keyring import CHECK_ROW
from khidma.core.privacy.master import MasterKeyError, load_master_key
from khidma.core.privacy.shred import shred

MASTER = bytes(range(32))


def keyring(store: EventStore, master: bytes = MASTER, **options: object) -> Keyring:
    notify = channel(store.settings.db_schema)
    return Keyring(store.pool, master, notify_channel=notify, **options)  # type: ignore[arg-type]


async def subject_rows(store: EventStore) -> int:
    """Rows of data subjects (the master key's check row left out)."""
    return int(
        await store.pool.fetchval(
            "SELECT count(*) FROM subject_keys WHERE subject_id <> $1", CHECK_ROW
        )
    )


async def test_a_key_is_made_once_and_stored_only_wrapped(store: EventStore) -> None:
    subject = uuid.uuid4()
    first = keyring(store)
    await first.ensure([subject])
    aead = first.aead(subject)
    assert aead is not None
    sealed = aead.encrypt(b"\x00" * 12, "سامر".encode(), None)

    row = await store.pool.fetchrow("SELECT * FROM subject_keys WHERE subject_id = $1", subject)
    assert row["destroyed_at"] is None and len(row["wrapped"]) == 40
    # Another process with the same master key finds the same key, and makes no other.
    second = keyring(store)
    await second.ensure([subject])
    opened = second.aead(subject)
    assert opened is not None
    assert opened.decrypt(b"\x00" * 12, sealed, None) == "سامر".encode()
    assert await subject_rows(store) == 1


async def test_a_key_not_fetched_first_is_an_error_not_a_guess(store: EventStore) -> None:
    with pytest.raises(KeyNotPrefetched, match="was not fetched"):
        keyring(store).aead(uuid.uuid4())


async def test_loading_to_read_makes_no_key(store: EventStore) -> None:
    subject = uuid.uuid4()
    ring = keyring(store)
    await ring.load([subject])
    assert ring.aead(subject) is None
    assert await subject_rows(store) == 0


async def test_a_wrong_master_key_fails_clearly_and_makes_no_key(store: EventStore) -> None:
    subject = uuid.uuid4()
    await keyring(store).ensure([subject])
    other = keyring(store, bytes(32), source="the master key in /etc/khidma/master.key")
    with pytest.raises(MasterKeyMismatch, match=r"/etc/khidma/master.key does not unwrap"):
        await other.load([subject])
    with pytest.raises(MasterKeyMismatch):
        await other.ensure([uuid.uuid4()])
    assert await subject_rows(store) == 1, "no key wrapped with a master key nobody else has"


async def test_destroying_keeps_when_and_why_and_refuses_new_writes(store: EventStore) -> None:
    subject = uuid.uuid4()
    ring = keyring(store)
    await ring.ensure([subject])
    async with store.pool.acquire() as conn, conn.transaction():
        await ring.destroy(conn, subject, "court order 12/2026")
    async with store.pool.acquire() as conn, conn.transaction():
        await ring.destroy(conn, subject, "asked again")

    row = await store.pool.fetchrow("SELECT * FROM subject_keys WHERE subject_id = $1", subject)
    assert row["wrapped"] is None and row["destroyed_at"] is not None
    assert row["reason"] == "court order 12/2026", "the first reason stays"
    fresh = keyring(store)
    await fresh.load([subject])
    assert fresh.aead(subject) is None
    with pytest.raises(SubjectForgotten):
        await fresh.ensure([subject])


async def test_a_forget_reaches_another_process_cache(store: EventStore) -> None:
    """Two stores, each with its own pool and LISTEN connection, stand for two processes."""
    settings = store.settings
    assert settings.database_url
    here = store
    there = await EventStore.open(settings.database_url, settings)
    try:
        subject = uuid.uuid4()
        await keyring_of(here).ensure([subject])
        await keyring_of(there).load([subject])
        assert keyring_of(there).aead(subject) is not None, "cached there"
        heard = asyncio.Event()
        keyring_of(there).on_forget(lambda s: heard.set() if s == subject else None)

        await shred(here, subject, "forgotten on request", [])

        assert keyring_of(here).aead(subject) is None, "at once where it was forgotten"
        await asyncio.wait_for(heard.wait(), 10)
        assert keyring_of(there).aead(subject) is None
    finally:
        await there.close()


async def test_while_forget_notices_may_be_lost_no_cached_key_is_trusted(
    store: EventStore,
) -> None:
    subject = uuid.uuid4()
    heard = True
    ring = keyring(store, connected=lambda: heard)
    await ring.ensure([subject])
    async with store.pool.acquire() as conn, conn.transaction():
        await keyring(store).destroy(conn, subject, "forgotten elsewhere, notice lost")
    await ring.load([subject])
    assert ring.aead(subject) is not None, "still cached: the notice never came"

    heard = False  # the LISTEN connection is down
    await ring.load([subject])
    assert ring.aead(subject) is None


async def test_the_cache_is_bounded(store: EventStore) -> None:
    ring = keyring(store, capacity=3)
    subjects = [uuid.uuid4() for _ in range(5)]
    await ring.ensure(subjects)
    assert len(ring) == 3
    with pytest.raises(KeyNotPrefetched):
        ring.aead(subjects[0])


def test_the_master_key_is_made_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = load_master_key(settings)
    path = tmp_path / "data" / "master.key"
    assert len(key) == 32 and load_master_key(settings) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_configured_master_key_must_exist_and_be_well_formed(tmp_path: Path) -> None:
    missing = Settings(data_dir=tmp_path, master_key_file=tmp_path / "nowhere.key")
    with pytest.raises(MasterKeyError, match="does not exist"):
        load_master_key(missing)
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    with pytest.raises(MasterKeyError, match="64 hex digits"):
        load_master_key(dataclasses.replace(missing, master_key_file=bad))
    short = tmp_path / "short.key"
    short.write_text("ab" * 16)
    with pytest.raises(MasterKeyError, match="64 hex digits"):
        load_master_key(dataclasses.replace(missing, master_key_file=short))
