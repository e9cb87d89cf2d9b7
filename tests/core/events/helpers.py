"""Small helpers for the store tests."""

from __future__ import annotations

import asyncio
import uuid

from khidma.core.events import EventStore, NewEvent

TOPIC = "tests.events:Happened"


def events(n: int, size: int = 20) -> list[NewEvent]:
    return [NewEvent(TOPIC, bytes([i % 256]) * size) for i in range(n)]


def new_stream() -> uuid.UUID:
    return uuid.uuid4()


async def all_logged(store: EventStore) -> None:
    """Wait until every committed event has a position: a long transaction elsewhere on the
    server holds the sequencer's horizon back (events are delayed, never skipped)."""
    unlogged = (
        "SELECT count(*) FROM events e"
        " WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.event_id)"
    )
    async with asyncio.timeout(60):
        while await store.pool.fetchval(unlogged):
            await store.sequencer.run_once()
            await asyncio.sleep(0.05)
