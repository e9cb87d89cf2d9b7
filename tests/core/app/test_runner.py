"""The runner rides out dropped connections: a command re-runs, and its key keeps it once."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from khidma.core.app import Khidma, Result, lookups
from khidma.core.app.runner import Unit
from khidma.core.domain.errors import NotAllowed
from khidma.core.events import EventStore

from .conftest import admin, event_count, key

pytestmark = pytest.mark.store


async def drop_khidma_connections(store: EventStore) -> int:
    """What a power cut at the server or a broken 3G link does to every open connection."""
    assert store.settings.database_url
    other = await asyncpg.connect(store.settings.database_url)
    try:
        return await other.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'khidma' AND datname = current_database()"
        )
    finally:
        await other.close()


async def test_a_command_after_the_connections_dropped_still_runs(khidma: Khidma) -> None:
    boss = admin()
    await khidma.admin.define_catalog(boss, key())
    before = await event_count(khidma.store)
    assert await drop_khidma_connections(khidma.store) >= 1
    decided = await khidma.admin.declare_holidays(
        boss, key(), year=2026, holidays=[(date(2026, 5, 1), "عيد العمال", "Labour Day")]
    )
    assert decided
    assert await event_count(khidma.store) > before


async def test_a_retry_after_a_drop_returns_the_first_result(khidma: Khidma) -> None:
    boss, once = admin(), key()
    first = await khidma.admin.define_catalog(boss, once)
    written = await event_count(khidma.store)
    await drop_khidma_connections(khidma.store)
    assert await khidma.admin.define_catalog(boss, once) == first
    assert await event_count(khidma.store) == written


async def test_changing_what_was_loaded_to_read_is_refused_and_writes_nothing(
    khidma: Khidma,
) -> None:
    boss = admin()
    await khidma.admin.define_catalog(boss, key())
    written = await event_count(khidma.store)

    async def misuse(unit: Unit) -> Result:
        catalog = await lookups.catalog(unit)  # shared with other commands: read only
        catalog.decide_surcharge("DAM", None, 500, date(2026, 1, 1), "DAM-2026/1", at=unit.at)
        return {}

    with pytest.raises(RuntimeError, match=r"use Unit\.get"):
        await khidma.runner.run(boss, "decide_surcharge", key(), misuse)
    assert await event_count(khidma.store) == written

    # The changed copy is dropped: the next reader loads the catalog as stored.
    async def read(unit: Unit) -> Result:
        catalog = await lookups.catalog(unit)
        return {"decisions": len(catalog.surcharges), "pending": len(catalog.pending_events)}

    assert await khidma.runner.run(boss, "decide_surcharge", key(), read) == {
        "decisions": 0,
        "pending": 0,
    }


async def test_a_command_reads_its_own_changes(khidma: Khidma) -> None:
    boss = admin()
    await khidma.admin.define_catalog(boss, key())

    async def change_then_read(unit: Unit) -> Result:
        mine = await lookups.catalog_to_change(unit)
        mine.decide_surcharge("DAM", None, 500, date(2026, 1, 1), "DAM-2026/1", at=unit.at)
        read = await lookups.catalog(unit)
        return {"same": read is mine}

    assert await khidma.runner.run(boss, "decide_surcharge", key(), change_then_read) == {
        "same": True
    }


async def test_a_refusal_is_answered_at_once_not_retried_as_a_dropped_connection(
    khidma: Khidma,
) -> None:
    runs: list[int] = []

    async def refuse(unit: Unit) -> Result:
        runs.append(1)
        raise NotAllowed("define_catalog", "not today")  # a PermissionError, so an OSError

    with pytest.raises(NotAllowed):
        await khidma.runner.run(admin(), "define_catalog", key(), refuse)
    assert runs == [1]
