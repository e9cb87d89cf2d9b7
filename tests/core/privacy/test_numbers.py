"""Citizen ids are random; only ``citizen_numbers`` links a national number to one, and forget
deletes that link (issue 7: a forgotten citizen's id must not be recomputable from the number)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from khidma.core.app import Actor, Khidma
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.roles import Role
from khidma.core.events import EventStore
from khidma.core.privacy import (
    CitizenNumbers,
    Keyring,
    MasterKeyMismatch,
    keyring_of,
    numbers_of,
)
from khidma.core.privacy.master import load_master_key
from khidma.core.privacy.numbers import numbers_key
from tests.core.app.conftest import FixedClock, clerk
from tests.database import drop_schema, new_schema_name

NN = "04455667788"
NAMES = {
    "first_name_ar": "زنوبيا",
    "first_name_en": "Zenobia",
    "last_name_ar": "التدمرية",
    "last_name_en": "Palmyrene",
}
ADMIN = Actor(uuid.uuid4(), Role.ADMIN)


@pytest.fixture
async def keyed(settings: Settings, tmp_path: Path) -> AsyncIterator[EventStore]:
    """A store whose master key is this test's own."""
    settings = dataclasses.replace(settings, data_dir=tmp_path / "a")
    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        yield store


async def register(store: EventStore, nn: str = NN) -> uuid.UUID:
    khidma = Khidma(store, FixedClock())
    result = await khidma.citizens.register_citizen(clerk(), key(), national_number=nn, **NAMES)
    return uuid.UUID(result["citizen_id"])


def key() -> str:
    return f"test-{uuid.uuid4()}"


async def rows(store: EventStore) -> list[dict[str, object]]:
    return [dict(r) for r in await store.pool.fetch("SELECT * FROM citizen_numbers")]


async def test_two_deployments_give_one_number_different_ids(
    keyed: EventStore, tmp_path: Path
) -> None:
    other = dataclasses.replace(
        keyed.settings, db_schema=new_schema_name(), data_dir=tmp_path / "b"
    )
    assert other.database_url
    try:
        async with open_store(other.database_url, other) as elsewhere:
            here_id, there_id = await register(keyed), await register(elsewhere)
            here, there = await rows(keyed), await rows(elsewhere)
    finally:
        drop_schema(other.db_schema)
    assert here_id != there_id
    assert here_id.version == there_id.version == 4
    assert here[0]["digest"] != there[0]["digest"], "keyed by each deployment's master key"


async def test_the_table_holds_no_clear_number(keyed: EventStore) -> None:
    citizen_id = await register(keyed)
    [row] = await rows(keyed)
    assert row["citizen_id"] == citizen_id
    digest = bytes(row["digest"])  # type: ignore[arg-type]
    assert NN.encode() not in digest and len(digest) == 32
    assert digest != hashlib.sha256(NN.encode()).digest(), "not a bare hash anyone can recompute"
    master = load_master_key(keyed.settings)
    assert digest == hmac.new(numbers_key(master), NN.encode(), hashlib.sha256).digest()
    text = await keyed.pool.fetchval("SELECT string_agg(t::text, ' ') FROM citizen_numbers t")
    assert NN not in text


async def test_a_number_is_validated_naming_the_field(keyed: EventStore) -> None:
    numbers = numbers_of(keyed)
    with pytest.raises(ValidationError) as refused:
        await numbers.ensure("0445566778", "recipient_national_number")
    assert refused.value.field == "recipient_national_number"
    assert await rows(keyed) == []


async def test_concurrent_look_ups_of_one_number_give_one_id(keyed: EventStore) -> None:
    """Separate caches stand for separate processes: they agree on one id, one row."""
    master = load_master_key(keyed.settings)
    check = keyring_of(keyed).check_master_key
    lookups = [CitizenNumbers(keyed.pool, master, check=check) for _ in range(12)]
    given = await asyncio.gather(*(n.ensure(NN) for n in lookups))
    assert len(set(given)) == 1
    assert len(await rows(keyed)) == 1


async def test_concurrent_registrations_of_one_number_make_one_citizen(keyed: EventStore) -> None:
    khidma = Khidma(keyed, FixedClock())
    outcomes = await asyncio.gather(
        *(
            khidma.citizens.register_citizen(clerk(), key(), national_number=NN, **NAMES)
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    registered = [o for o in outcomes if isinstance(o, dict)]
    assert len(registered) == 1, outcomes
    assert all(isinstance(o, ValidationError) for o in outcomes if not isinstance(o, dict))
    assert len(await rows(keyed)) == 1
    citizens = await keyed.pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM events WHERE topic LIKE '%Citizen.Registered'"
    )
    assert citizens == 1


async def test_bad_input_links_no_number(keyed: EventStore) -> None:
    khidma = Khidma(keyed, FixedClock())
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.register_citizen(
            clerk(), key(), national_number=NN, **{**NAMES, "first_name_en": "زنوبيا"}
        )
    assert refused.value.field == "first_name_en"
    assert await rows(keyed) == []


async def test_an_id_given_to_a_registration_that_failed_is_reused(keyed: EventStore) -> None:
    given = await numbers_of(keyed).ensure(NN)  # then, say, the connection dropped
    [orphan] = await rows(keyed)
    assert orphan["citizen_id"] == given
    assert await register(keyed) == given
    assert len(await rows(keyed)) == 1


async def test_forget_unlinks_the_number_which_may_register_again_as_someone_new(
    keyed: EventStore,
) -> None:
    first = await register(keyed)
    khidma = Khidma(keyed, FixedClock())
    await khidma.admin.forget_citizen(ADMIN, key(), national_number=NN, reason="court order")
    assert await rows(keyed) == []
    assert await numbers_of(keyed).find(NN) is None

    second = await register(keyed)
    assert second != first
    [row] = await rows(keyed)
    assert row["citizen_id"] == second
    old = await khidma.runner.repository.get(first)
    new = await khidma.runner.repository.get(second)
    assert isinstance(old, Citizen) and isinstance(new, Citizen)
    assert old.national_number is None and old.forgotten_at is not None
    assert new.national_number == NN and new.forgotten_at is None
    # Nothing stored under the new id names the old one.
    stored = await keyed.pool.fetch(
        "SELECT data, metadata::text AS metadata FROM events WHERE stream_id = $1", second
    )
    assert all(
        str(first) not in r["metadata"] and first.hex.encode() not in r["data"] for r in stored
    )


async def test_a_forget_drops_the_id_from_another_process_cache(keyed: EventStore) -> None:
    """Two stores, each with its own pool and LISTEN connection, stand for two processes."""
    settings = keyed.settings
    assert settings.database_url
    there = await EventStore.open(settings.database_url, settings)
    try:
        citizen_id = await register(keyed)
        cached = numbers_of(there)
        assert await cached.find(NN) == citizen_id
        assert len(cached) == 1, "cached there"
        heard = asyncio.Event()
        keyring_of(there).on_forget(lambda s: heard.set() if s == citizen_id else None)

        khidma = Khidma(keyed, FixedClock())
        await khidma.admin.forget_citizen(ADMIN, key(), national_number=NN, reason="asked")

        assert len(numbers_of(keyed)) == 0, "at once where it was forgotten"
        await asyncio.wait_for(heard.wait(), 10)
        assert len(cached) == 0
        assert await cached.find(NN) is None
    finally:
        await there.close()


async def test_while_forget_notices_may_be_lost_the_cache_is_not_trusted(
    keyed: EventStore,
) -> None:
    heard = True
    master = load_master_key(keyed.settings)
    numbers = CitizenNumbers(keyed.pool, master, connected=lambda: heard)
    citizen_id = await register(keyed)
    assert await numbers.find(NN) == citizen_id
    await keyed.pool.execute("DELETE FROM citizen_numbers")  # forgotten elsewhere, notice lost
    assert await numbers.find(NN) == citizen_id, "still cached: the notice never came"
    heard = False  # the LISTEN connection is down
    assert await numbers.find(NN) is None


async def test_the_cache_is_bounded(keyed: EventStore) -> None:
    numbers = CitizenNumbers(keyed.pool, load_master_key(keyed.settings), capacity=3)
    given = [await numbers.ensure(f"0100000000{i}") for i in range(5)]
    assert len(numbers) == 3 and len(set(given)) == 5
    assert await numbers.find("01000000000") == given[0], "dropped, then asked for again"


async def test_a_wrong_master_key_is_refused_before_any_look_up(keyed: EventStore) -> None:
    """Digests under another key would match nothing: every number would get a second id."""
    await register(keyed)
    wrong = bytes(32)
    ring = Keyring(keyed.pool, wrong, notify_channel="unused", source="a wrong master key")
    other = CitizenNumbers(keyed.pool, wrong, check=ring.check_master_key)
    with pytest.raises(MasterKeyMismatch):
        await other.ensure(NN)
    assert len(await rows(keyed)) == 1, "no second id made under the wrong key"
