"""Helpers for projection tests: run projections up to the head, read and compare their tables."""

from __future__ import annotations

import asyncio
from typing import Any

from khidma.core.events import EventStore
from khidma.projections import storage
from khidma.projections.positions import Positions
from khidma.projections.registry import projections
from khidma.projections.runner import Runner


async def catch_up(store: EventStore, *names: str) -> dict[str, Runner]:
    """Run each named projection (all by default) until it has applied the whole log."""
    await logged(store)
    head = await store.head()
    positions = Positions(store)
    runners = {p.name: Runner(store, p, positions, batch=7) for p in projections(names)}
    for runner in runners.values():
        await runner.run(until=head)
    return runners


async def logged(store: EventStore, timeout: float = 60) -> None:
    """Wait until every committed event is in the log.

    A long transaction anywhere in the cluster (a benchmark's) holds the sequencer back a while.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await store.sequencer.run_until_idle()
        if (await store.lag()).events == 0 or loop.time() > deadline:
            return
        await asyncio.sleep(0.05)


async def table(store: EventStore, name: str, order: str) -> list[dict[str, Any]]:
    rows = await store.pool.fetch(f"SELECT * FROM {name} ORDER BY {order}")
    return [dict(r) for r in rows]


async def checksums(store: EventStore, *names: str) -> dict[str, Any]:
    """Every table of the named projections: row count and order-free checksum."""
    async with store.pool.acquire() as conn:
        return {p.name: await storage.checksum(conn, p.tables()) for p in projections(names)}
