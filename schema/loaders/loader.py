"""strawberry's DataLoader with two fewer event-loop callbacks per load.

strawberry's ``load`` registers a done-callback on every key's future (to cancel the batch's
task once every caller has cancelled) and one on the batch's task (to forget it): each runs
as its own event-loop callback when the batch is answered, and a request that loads one key
spent five loop callbacks on it where awaiting the statement itself takes one. Here a batch is
gathered in the same window (started on the next loop iteration, so every key asked for
until then joins it) and answered by strawberry's own ``dispatch_batch``; what is given up is
only stopping a statement already sent when every caller has gone away (its answers are
then dropped: ``dispatch_batch`` skips cancelled futures, and skips a batch whose callers
have all cancelled before it starts).
"""

from __future__ import annotations

from asyncio import Future, create_task
from collections.abc import Hashable
from typing import TypeVar

from strawberry.dataloader import Batch, DataLoader, LoaderTask, dispatch_batch

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Loader(DataLoader[K, T]):
    def load(self, key: K) -> Future[T]:  # type: ignore[override]
        if self.cache:
            cached = self.cache_map.get(key)
            if cached and not cached.cancelled():
                return cached
        future: Future[T] = self.loop.create_future()
        if self.cache:
            self.cache_map.set(key, future)
        batch = self.batch
        if (
            batch is None
            or not batch.tasks
            or batch.dispatched
            or (self.max_batch_size and len(batch.tasks) >= self.max_batch_size)
        ):
            batch = self.batch = Batch()
            self.loop.call_soon(self._start, batch)
        batch.tasks.append(LoaderTask(key, future))
        return future

    def _start(self, batch: Batch[K, T]) -> None:
        batch._dispatch_task = create_task(dispatch_batch(self, batch))
