"""Audit fixtures: settings with their own data directory, a signer, a sealer, a small log."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from khidma.core.audit.seal import Sealer
from khidma.core.audit.signing import Signer, load_signer
from khidma.core.config import Settings
from khidma.core.events import EventStore, NewEvent


@pytest.fixture
def audit_settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, data_dir=tmp_path, checkpoint_every=5)


@pytest.fixture
def signer(audit_settings: Settings) -> Signer:
    return load_signer(audit_settings)


@pytest.fixture
def sealer(store: EventStore, audit_settings: Settings, signer: Signer) -> Sealer:
    return Sealer(store, audit_settings, signer)


async def log_events(store: EventStore, n: int) -> None:
    """``n`` events, two per stream (one if n is odd at the end), all in the log."""
    done = 0
    while done < n:
        count = min(2, n - done)
        events = [
            NewEvent("tests.audit:Happened", f"event {done + i}".encode()) for i in range(count)
        ]
        appended = await store.append(uuid.uuid4(), events, 0, {"actor_id": "clerk-7"})
        # As the other helpers: a transaction elsewhere in the cluster may hold the horizon.
        await store.sequenced(appended, timeout=60)
        done += count


async def tamper(store: EventStore, sql: str, *args: object) -> None:
    """Change the tables as an attacker with the database's superuser would: triggers off."""
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)
