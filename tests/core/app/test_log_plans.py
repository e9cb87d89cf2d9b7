"""The event log's filtered pages read through the filters' indexes, whatever plan a
connection has cached (core/app/history.py, migration 0008)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from khidma.core.app.history import page_statement
from khidma.core.app.log_filter import LogFilter
from khidma.core.events import EventStore, PendingEvent

from .test_history import all_logged

pytestmark = pytest.mark.store


async def test_filtered_pages_use_the_indexes_whatever_plan_is_cached(store: EventStore) -> None:
    """Some thousands of events by a busy worker and a few people; each filter's statement,
    planned generically (as a connection's cached plan may be), reads through its index and
    never hash-joins the whole log."""
    busy, rare = uuid.uuid4(), uuid.uuid4()
    for batch in range(40):
        actor, centre = (rare, "HMS-07") if batch % 10 == 0 else (busy, None)
        await store.record(
            [
                PendingEvent(
                    uuid.uuid4(), 1, f"tests.audit:Probe.{'Rare' if i == 0 else 'Often'}", b"{}"
                )
                for i in range(100)
            ],
            {"actor_id": str(actor), "actor_role": "system", "centre": centre},
        )
    await all_logged(store)
    await store.pool.execute("ANALYZE events; ANALYZE event_log")
    middle = await store.pool.fetchval("SELECT recorded_at FROM events WHERE event_id = 2000")
    cases: list[tuple[LogFilter, str, str]] = [
        (LogFilter.build(actor_id=rare), "events_actor", "text"),
        (LogFilter.build(centre="HMS-07"), "events_centre", "text"),
        (LogFilter.build(topic="Rare"), "events_name", "text"),
        (
            LogFilter.build(recorded_from=middle, recorded_to=middle + timedelta(milliseconds=1)),
            "events_recorded_at",
            "timestamptz, timestamptz",
        ),
        (LogFilter.build(stream_id=uuid.uuid4()), "events_stream_id_version_key", "uuid"),
    ]
    async with store.pool.acquire() as conn, conn.transaction():
        for i, (where, index, types) in enumerate(cases):
            sql, args = page_statement(where, 0, 51)
            await conn.execute(f"PREPARE page_{i} (bigint, bigint, bigint, {types}) AS {sql}")
            values = ", ".join(literal(a) for a in args)
            for mode in ("force_generic_plan", "force_custom_plan"):
                await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
                rows = await conn.fetch(f"EXPLAIN (COSTS OFF) EXECUTE page_{i} ({values})")
                plan = "\n".join(r[0] for r in rows)
                assert index in plan, (mode, where, plan)
                assert "Hash Join" not in plan and "Seq Scan on event_log" not in plan, plan


def literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"
