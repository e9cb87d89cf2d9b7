"""Following the log: subscriptions, reconnection, read-your-writes."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from khidma.core.events import EventStore, InvalidEventError, RecordedEvent
from khidma.core.events.database import application_name

from .helpers import events, new_stream

pytestmark = pytest.mark.store

OTHER_TOPIC = "tests.events:Other"


async def collect(store: EventStore, into: list[RecordedEvent], **kwargs: object) -> None:
    async for event in store.subscribe(**kwargs):  # type: ignore[arg-type]
        into.append(event)


async def until(predicate: object, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_subscribe_yields_history_then_new_events(store: EventStore) -> None:
    await store.append(new_stream(), events(3), 0)
    got: list[RecordedEvent] = []
    task = asyncio.create_task(collect(store, got, after_position=1))
    await until(lambda: len(got) == 2)
    await store.append(new_stream(), events(2), 0)
    await until(lambda: len(got) == 4)
    task.cancel()
    assert [e.position for e in got] == [2, 3, 4, 5]


async def test_at_the_end_of_the_log_a_subscriber_waits_quietly(store: EventStore) -> None:
    """Reaching the end runs a pass that logs nothing: it must not wake the reader again."""
    passes = 0
    run_once = store.sequencer.run_once

    async def counted(*args: Any, **kwargs: Any) -> int | None:
        nonlocal passes
        passes += 1
        return await run_once(*args, **kwargs)

    store.sequencer.run_once = counted  # type: ignore[method-assign]
    await store.append(new_stream(), events(2), 0)
    got: list[RecordedEvent] = []
    task = asyncio.create_task(collect(store, got))
    await until(lambda: len(got) == 2)
    passes = 0
    await asyncio.sleep(0.5)
    task.cancel()
    assert passes <= 2 + 0.5 / store.settings.poll_interval, passes  # a look per poll


async def test_subscribe_filters_topics(store: EventStore) -> None:
    from khidma.core.events import NewEvent

    got: list[RecordedEvent] = []
    task = asyncio.create_task(collect(store, got, topics=[OTHER_TOPIC]))
    for i in range(5):
        batch = [*events(2), NewEvent(OTHER_TOPIC, b"%d" % i)]
        await store.append(new_stream(), batch, 0)
    await until(lambda: len(got) == 5)
    task.cancel()
    assert [e.data for e in got] == [b"0", b"1", b"2", b"3", b"4"]
    assert [e.position for e in got] == [3, 6, 9, 12, 15]


async def test_subscribe_survives_terminated_connections(store: EventStore) -> None:
    got: list[RecordedEvent] = []
    task = asyncio.create_task(collect(store, got))
    await store.append(new_stream(), events(2), 0)
    await until(lambda: len(got) == 2)
    old_pid = store.listener.pid
    assert old_pid is not None
    admin = await asyncpg.connect(store.settings.database_url)
    try:
        # Every khidma connection: the LISTEN one and the pool's.
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()",
            application_name(store.settings),
        )
        assert killed >= 1
        await until(lambda: store.listener.pid not in (None, old_pid))
        assert store.listener.reconnects >= 1
    finally:
        await admin.close()
    # Written after the reconnection: the subscriber hears of it through the new LISTEN.
    for _ in range(3):
        try:
            await store.append(new_stream(), events(3), 0)
            break
        except (
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
        ):
            await asyncio.sleep(0.05)  # the pool replaces connections killed under it
    await until(lambda: len(got) == 5)
    task.cancel()
    assert [e.position for e in got] == [1, 2, 3, 4, 5]


async def test_wait_for_returns_once_the_log_reaches_a_position(store: EventStore) -> None:
    waiting = asyncio.create_task(store.wait_for(4, timeout=30))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await store.append(new_stream(), events(4), 0)
    await asyncio.wait_for(waiting, 5)
    with pytest.raises(TimeoutError):
        await store.wait_for(5, timeout=0.2)


async def test_read_all_validates_its_arguments(store: EventStore) -> None:
    with pytest.raises(InvalidEventError, match="after_position"):
        await store.read_all(-1)
    with pytest.raises(InvalidEventError, match="limit"):
        await store.read_all(0, 0)
    with pytest.raises(InvalidEventError, match=r"topics\[1\]"):
        await store.read_all(0, 10, topics=[OTHER_TOPIC, "no such thing!"])
    with pytest.raises(InvalidEventError, match="topics"):
        await store.read_all(0, 10, topics=OTHER_TOPIC)  # type: ignore[arg-type]
