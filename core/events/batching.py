"""Coalescing concurrent calls into shared round trips.

Sixteen clerks' commands in one process each want one statement; sent one by one they pay a
round trip, a system call and a commit each. A :class:`Batcher` queues them and sends whatever
is waiting as one batch, with at most ``in_flight`` batches out at a time, so a batch forms
while the previous one is on the wire. A lone caller waits for nothing: its batch leaves at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class Pending(Generic[T, R]):
    """One caller's item and the future its batch resolves."""

    item: T
    weight: int
    done: asyncio.Future[R] = field(repr=False)


Send = Callable[[list[Pending[T, R]]], Awaitable[None]]


class Batcher(Generic[T, R]):
    """Sends queued items in batches of at most ``max_weight`` (one item may exceed it alone).

    ``send`` resolves each item's future (a result or an exception). If it raises, every item
    it left unresolved gets that exception; if it is cancelled, they are cancelled too.
    """

    def __init__(self, send: Send[T, R], in_flight: int = 2, max_weight: int = 5_000) -> None:
        self._send = send
        self._in_flight = in_flight
        self._max_weight = max_weight
        self._queue: list[Pending[T, R]] = []
        self._draining = 0  # counted by hand: a finished task leaves the set a loop turn later
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T, weight: int = 1) -> R:
        """Queue ``item``; return what its batch's ``send`` resolved it with."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[R] = loop.create_future()
        self._queue.append(Pending(item, weight, done))
        if self._draining < self._in_flight:
            self._draining += 1
            task = loop.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await done

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch: list[Pending[T, R]] = []
                size = 0
                while self._queue and (not batch or size < self._max_weight):
                    batch.append(self._queue.pop(0))
                    size += batch[-1].weight
                await self._send_batch(batch)
        finally:
            # No await between the empty queue above and this: an item queued from here on
            # sees the count and starts a drain of its own.
            self._draining -= 1

    async def _send_batch(self, batch: list[Pending[T, R]]) -> None:
        try:
            await self._send(batch)
        except Exception as error:
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(error)
        except BaseException:
            for pending in batch:
                pending.done.cancel()
            raise
