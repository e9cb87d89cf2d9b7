"""``khidma replay``: a real process, against the test's own schema."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from khidma.core.config import Settings
from tests.core.app.request_world import World

from .helpers import catch_up

pytestmark = pytest.mark.projection


def _khidma(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    assert settings.database_url
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KHIDMA_")},
        "KHIDMA_DATABASE_URL": settings.database_url,
        "KHIDMA_DB_SCHEMA": settings.db_schema,
    }
    command = [sys.executable, "-m", "khidma.core.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


async def test_replay_verifies_and_swaps(world: World, settings: Settings) -> None:
    await world.issued()
    await catch_up(world.store, "requests", "sla")
    done = await asyncio.to_thread(_khidma, settings, "replay", "--verify", "requests", "sla")
    assert done.returncode == 0, done.stderr
    assert "requests: rebuilt to position" in done.stdout
    assert done.stdout.count("checksums match the live tables") == 2


async def test_replay_refuses_an_unknown_projection(settings: Settings) -> None:
    done = await asyncio.to_thread(_khidma, settings, "replay", "nonsense")
    assert done.returncode == 2
    assert "no projection 'nonsense'" in done.stderr
