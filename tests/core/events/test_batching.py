"""Batcher: concurrent calls share batches, and every caller gets its own answer or error."""

from __future__ import annotations

import asyncio

import pytest

from khidma.core.events.batching import Batcher, Pending


class Echo:
    """A send that answers each item with itself doubled, remembering the batches it saw."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on

    async def __call__(self, batch: list[Pending[int, int]]) -> None:
        self.batches.append([p.item for p in batch])
        await asyncio.sleep(0.01)  # on the wire: the next batch forms meanwhile
        for pending in batch:
            if pending.item == self.fail_on:
                raise ValueError(f"refused {pending.item}")
            pending.done.set_result(pending.item * 2)


async def test_a_lone_call_goes_out_at_once() -> None:
    send = Echo()
    assert await Batcher(send).submit(21) == 42
    assert send.batches == [[21]]


async def test_concurrent_calls_share_batches_and_keep_their_answers() -> None:
    send = Echo()
    batcher: Batcher[int, int] = Batcher(send, in_flight=1)
    answers = await asyncio.gather(*(batcher.submit(i) for i in range(50)))
    assert answers == [i * 2 for i in range(50)]
    assert len(send.batches) < 50
    assert sorted(i for b in send.batches for i in b) == list(range(50))


async def test_batches_keep_under_the_weight_limit() -> None:
    send = Echo()
    batcher: Batcher[int, int] = Batcher(send, in_flight=1, max_weight=10)
    await asyncio.gather(*(batcher.submit(i, weight=3) for i in range(12)))
    assert all(len(b) <= 4 for b in send.batches)  # 4 × 3 reaches 10: no fifth item


async def test_a_failed_send_fails_the_callers_it_left_unanswered() -> None:
    send = Echo(fail_on=3)
    batcher: Batcher[int, int] = Batcher(send, in_flight=1)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(6)), return_exceptions=True)
    assert send.batches == [[0, 1, 2, 3, 4, 5]]
    assert results[:3] == [0, 2, 4]  # answered before the failure: kept
    assert [str(r) for r in results[3:]] == ["refused 3"] * 3
    # the batcher still works afterwards
    assert await batcher.submit(10) == 20


async def test_items_queued_while_draining_are_not_forgotten() -> None:
    send = Echo()
    batcher: Batcher[int, int] = Batcher(send, in_flight=1)
    first = asyncio.ensure_future(batcher.submit(1))
    await asyncio.sleep(0)  # the drain has taken item 1 and is on the wire
    later = [asyncio.ensure_future(batcher.submit(i)) for i in range(2, 6)]
    assert await asyncio.wait_for(asyncio.gather(first, *later), 5) == [2, 4, 6, 8, 10]


async def test_cancelling_the_drain_cancels_its_callers() -> None:
    started = asyncio.Event()

    async def hang(batch: list[Pending[int, int]]) -> None:
        started.set()
        await asyncio.sleep(3600)

    batcher: Batcher[int, int] = Batcher(hang)
    call = asyncio.ensure_future(batcher.submit(1))
    await started.wait()
    for task in list(batcher._tasks):
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
