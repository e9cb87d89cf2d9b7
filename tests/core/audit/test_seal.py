"""Sealing: checkpoints every N events, signed, continued from the frontier, written outside."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from khidma.core.audit import checkpoints
from khidma.core.audit.checkpoints import Publisher
from khidma.core.audit.merkle import tree_of_contents
from khidma.core.audit.seal import Sealer, SealError
from khidma.core.audit.signing import Signer, load_signer
from khidma.core.audit.standalone import SignedHead
from khidma.core.config import Settings, SettingsError
from khidma.core.events import EventStore

from .conftest import log_events, tamper

pytestmark = pytest.mark.store


async def contents(store: EventStore, size: int) -> list[bytes]:
    rows = await store.pool.fetch(
        "SELECT e.content_hash FROM event_log l JOIN events e USING (event_id)"
        " WHERE l.position <= $1 ORDER BY l.position",
        size,
    )
    return [r[0] for r in rows]


async def test_a_checkpoint_signs_the_root_of_the_log(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    assert await sealer.seal_once() is None  # an empty log has nothing to seal
    await log_events(store, 7)
    made = await sealer.seal_once()
    assert made is not None and made.size == 7
    assert made.root == tree_of_contents(await contents(store, 7)).root(7)
    assert made.head.signature_ok(signer.public_key)
    assert made.key_id == signer.key_id
    # written outside the database, in the form the standalone verifier reads
    copy = audit_settings.checkpoints_dir / "00000000000000000007.json"
    assert SignedHead.from_json(json.loads(copy.read_text())) == made.head
    assert await store.pool.fetchval("SELECT published_at IS NOT NULL FROM checkpoints") is True


async def test_checkpoints_are_due_every_n_events_or_after_the_interval(
    store: EventStore, sealer: Sealer, audit_settings: Settings, signer: Signer
) -> None:
    await log_events(store, 5)
    assert (await sealer.seal_once()).size == 5  # type: ignore[union-attr]
    await log_events(store, 3)
    assert await sealer.seal_once() is None  # 3 < 5 events and the interval has not passed
    later = Sealer(
        store,
        audit_settings,
        signer,
        clock=lambda: datetime.now(UTC) + timedelta(seconds=61),
    )
    assert (await later.seal_once()).size == 8  # type: ignore[union-attr]
    await log_events(store, 6)
    third = await sealer.seal_once()
    assert third is not None and third.size == 14
    # continued from the last frontier, equal to the tree over everything
    assert third.root == tree_of_contents(await contents(store, 14)).root(14)
    sizes = [c.size for c in await checkpoints.all_checkpoints(store.pool)]
    assert sizes == [5, 8, 14]
    assert await sealer.seal_once(force=True) is None  # nothing new


async def test_one_process_seals_at_a_time(
    store: EventStore, sealer: Sealer, audit_settings: Settings, signer: Signer
) -> None:
    await log_events(store, 6)
    other = Sealer(store, audit_settings, signer)
    made = await asyncio.gather(*(s.seal_once(force=True) for s in (sealer, other, sealer)))
    assert sorted(m.size for m in made if m is not None) == [6]
    assert len(await checkpoints.all_checkpoints(store.pool)) == 1


async def test_a_broken_chain_is_not_sealed(store: EventStore, sealer: Sealer) -> None:
    await log_events(store, 6)
    await tamper(store, "DELETE FROM event_log WHERE position = 3")
    with pytest.raises(SealError, match="position 3"):
        await sealer.seal_once()
    assert await checkpoints.latest(store.pool) is None


async def test_unwritable_copies_are_retried_and_urls_receive_them(
    store: EventStore, audit_settings: Settings, signer: Signer
) -> None:
    received: list[dict[str, object]] = []
    fail = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        if fail[0]:
            return httpx.Response(503)
        received.append(json.loads(request.content))
        return httpx.Response(201)

    settings = dataclasses.replace(audit_settings, checkpoint_url="http://auditor.test/heads")
    publisher = Publisher(settings, transport=httpx.MockTransport(handler))
    sealer = Sealer(store, settings, signer, publisher)
    await log_events(store, 5)
    assert (await sealer.seal_once()) is not None
    assert await store.pool.fetchval("SELECT published_at FROM checkpoints") is None
    fail[0] = False
    await sealer.seal_once()
    assert [r["size"] for r in received] == [5]
    assert await store.pool.fetchval("SELECT published_at IS NOT NULL FROM checkpoints")


def test_the_key_is_generated_once_and_kept(audit_settings: Settings) -> None:
    first = load_signer(audit_settings)
    assert load_signer(audit_settings).key_id == first.key_id
    missing = dataclasses.replace(
        audit_settings, signing_key_file=audit_settings.data_dir / "nope.pem"
    )
    with pytest.raises(ValueError, match="does not exist"):
        load_signer(missing)


async def test_the_background_sealer_seals_as_the_log_grows(
    store: EventStore, audit_settings: Settings, signer: Signer
) -> None:
    settings = dataclasses.replace(audit_settings, checkpoint_interval=0.2)
    task = asyncio.create_task(Sealer(store, settings, signer).run_forever())
    try:
        await log_events(store, 6)
        for _ in range(500):
            made = await checkpoints.latest(store.pool)
            if made is not None and made.size == 6:
                break
            await asyncio.sleep(0.02)
        assert made is not None and made.size == 6
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KHIDMA_CHECKPOINT_EVERY", "0", "at least 1"),
        ("KHIDMA_CHECKPOINT_INTERVAL", "0", "more than 0"),
        ("KHIDMA_CHECKPOINT_URL", "ftp://auditor", "http(s)"),
    ],
)
def test_checkpoint_settings_are_checked(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({variable: value})


def test_checkpoint_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "KHIDMA_DATA_DIR": "/srv/khidma",
            "KHIDMA_CHECKPOINT_EVERY": "500",
            "KHIDMA_SIGNING_KEY_FILE": "/etc/khidma/key.pem",
        }
    )
    assert settings.checkpoint_every == 500
    assert settings.checkpoints_dir == Path("/srv/khidma/checkpoints")
    assert settings.signing_key_file == Path("/etc/khidma/key.pem")
    assert Settings.from_env({"KHIDMA_CHECKPOINT_DIR": "/mnt/a"}).checkpoints_dir == Path("/mnt/a")
