"""The runner rides out dropped connections and stale memories: a command re-runs, and its key
keeps it once."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest

from khidma.core.app import Khidma, Result, lookups
from khidma.core.app.runner import Unit
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.events import ConcurrencyError, EventStore, PendingEvent
from khidma.core.events.database import application_name

from .conftest import FixedClock, admin, event_count, key

pytestmark = pytest.mark.store


async def drop_khidma_connections(store: EventStore) -> int:
    """What a power cut at the server or a broken 3G link does to every open connection."""
    assert store.settings.database_url
    other = await asyncpg.connect(store.settings.database_url)
    try:
        return await other.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            application_name(store.settings),
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


# -- what a command reads from memory is checked when it writes -----------------------------


async def surcharge(khidma: Khidma, ref: str) -> None:
    await khidma.admin.decide_surcharge(
        admin(), key(), governorate="DAM", amount_syp=500, effective_from=date(2026, 1, 1),
        decision_ref=ref,
    )  # fmt: skip


async def test_a_decision_on_a_stale_held_copy_is_not_written_but_run_again(
    store: EventStore, clock: FixedClock
) -> None:
    here, there = Khidma(store, clock), Khidma(store, clock)  # two processes' memories
    await here.admin.define_catalog(admin(), key())
    await here.admin.declare_holidays(admin(), key(), year=2026, holidays=[])
    seen: list[int] = []

    async def holidays_per_decision(unit: Unit) -> Result:
        catalog = await lookups.catalog(unit)  # held from the last command, not asked again
        seen.append(len(catalog.surcharges))
        calendar = await unit.get(WorkingCalendar, lookups.CALENDAR_ID)
        day = date(2026, 12, len(catalog.surcharges) + 1)
        calendar.declare_holidays(2026, [(day, "عطلة", "Holiday")], at=unit.at)
        return {"decisions": len(catalog.surcharges)}

    assert await here.runner.run(admin(), "declare_holidays", key(), holidays_per_decision) == {
        "decisions": 0
    }
    await surcharge(there, "DAM-2026/1")  # the other process: ours still holds the old one
    seen.clear()
    result = await here.runner.run(admin(), "declare_holidays", key(), holidays_per_decision)
    assert result == {"decisions": 1}
    assert seen == [0, 1]  # decided once on the stale copy (not written), then on the new one
    calendar = await here.runner.repository.get(lookups.CALENDAR_ID)
    assert isinstance(calendar, WorkingCalendar)
    assert [h.on for h in calendar.holidays_in(2026)] == [date(2026, 12, 2)]


async def test_a_refusal_on_a_stale_held_copy_is_checked_again(
    store: EventStore, clock: FixedClock
) -> None:
    here, there = Khidma(store, clock), Khidma(store, clock)
    await here.admin.define_catalog(admin(), key())
    seen: list[int] = []

    async def needs_a_decision(unit: Unit) -> Result:
        catalog = await lookups.catalog(unit)
        seen.append(len(catalog.surcharges))
        if not catalog.surcharges:
            raise ValidationError("governorate", "no surcharge decided")
        return {"decisions": len(catalog.surcharges)}

    with pytest.raises(ValidationError):  # true: nothing decided yet
        await here.runner.run(admin(), "decide_surcharge", key(), needs_a_decision)
    await surcharge(there, "DAM-2026/1")
    seen.clear()
    # Refused on the held copy, but that copy has moved on: the answer is the true one.
    assert await here.runner.run(admin(), "decide_surcharge", key(), needs_a_decision) == {
        "decisions": 1
    }
    assert seen == [0, 1]


async def test_a_record_whose_read_stream_moved_on_is_stale_and_writes_nothing(
    khidma: Khidma,
) -> None:
    store = khidma.store
    await khidma.admin.define_catalog(admin(), key())
    catalog_version = await store.version(lookups.CATALOG_ID)
    await surcharge(khidma, "DAM-2026/1")
    written = await event_count(store)
    stream = uuid.uuid4()
    event = PendingEvent(stream, 1, "test:Event", b"{}")
    with pytest.raises(ConcurrencyError) as caught:
        await store.record([event], reads={lookups.CATALOG_ID: catalog_version})
    assert caught.value.stream_id == lookups.CATALOG_ID  # names what moved on
    assert caught.value.expected_version == catalog_version
    assert await event_count(store) == written
    # Read at its current version, the same record is written.
    now = await store.version(lookups.CATALOG_ID)
    await store.record([event], reads={lookups.CATALOG_ID: now, uuid.uuid4(): 0})
    assert await event_count(store) == written + 1
