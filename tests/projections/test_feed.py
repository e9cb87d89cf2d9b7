"""The feed: the runners of a process read and decode each event once, and keep in step."""

from __future__ import annotations

import asyncio

import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import load_demo
from khidma.core.events import EventStore
from khidma.projections.feed import PACE, Feed
from khidma.projections.registry import projections

from .helpers import logged

pytestmark = pytest.mark.projection


async def _demo(store: EventStore) -> int:
    await load_demo(Khidma(store))
    await logged(store)
    return await store.head()


async def test_runners_share_what_was_read_and_decoded(store: EventStore) -> None:
    head = await _demo(store)
    feed = Feed.of(store, projections())
    first = await feed.read(0, 20, "requests")
    again = await feed.read(0, 20, "sla")
    assert [r.position for r in first.records] == list(range(1, 21))
    assert again.records == first.records
    # The same objects: decoded once, whoever asks.
    assert all(a is b for a, b in zip(again.decoded, first.decoded, strict=True))
    assert any(d is not None for d in first.decoded)
    later = await feed.read(10, 20, "sla")  # partly held, partly not yet read
    assert [r.position for r in later.records] == list(range(11, 21))
    rest = await feed.read(20, head, "sla")
    assert rest.records[-1].position == head
    assert (await feed.read(head, 20, "sla")).records == []  # the end of the log


async def test_reads_at_the_same_time_are_one_read(store: EventStore) -> None:
    await _demo(store)
    feed = Feed.of(store, projections())
    batches = await asyncio.gather(*(feed.read(0, 50, name) for name in "abc"))
    assert batches[0].decoded is batches[1].decoded is batches[2].decoded


async def test_a_runner_ahead_waits_for_one_in_the_window(store: EventStore) -> None:
    await _demo(store)
    feed = Feed.of(store, projections(), window=20)  # small, to step past it
    await feed.read(0, 10, "slow")
    await feed.read(0, 10, "quick")
    await feed.read(10, 10, "quick")
    ahead = asyncio.create_task(feed.read(20, 10, "quick"))  # would leave "slow" behind
    await asyncio.sleep(PACE / 5)
    assert not ahead.done()
    await feed.read(10, 10, "slow")  # it moves on: the window may move past where it was
    batch = await asyncio.wait_for(ahead, PACE)
    assert batch.records[0].position == 21


async def test_nobody_waits_for_a_runner_that_left(store: EventStore) -> None:
    await _demo(store)
    feed = Feed.of(store, projections(), window=20)
    await feed.read(0, 10, "stopped")
    await feed.read(10, 10, "quick")
    ahead = asyncio.create_task(feed.read(20, 10, "quick"))
    await asyncio.sleep(PACE / 5)
    assert not ahead.done()
    feed.leave("stopped")
    assert (await asyncio.wait_for(ahead, PACE)).records[0].position == 21


async def test_a_read_nobody_waits_for_is_cancelled(store: EventStore) -> None:
    await _demo(store)
    feed = Feed.of(store, projections())
    waiting = asyncio.create_task(feed.read(0, 10, "stopping"))
    await asyncio.sleep(0)  # the read is under way
    (reading,) = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "Feed._read"]
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.wait([reading], timeout=10)
    assert reading.cancelled()
    assert (await feed.read(0, 10, "next")).records[0].position == 1  # read again, in full
