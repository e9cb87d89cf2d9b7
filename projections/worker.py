"""All the projections of one process: their runners, read-your-writes, lag and status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from khidma.core.events import EventStore, Lag

from .feed import Feed
from .positions import Positions
from .registry import projections
from .runner import DEFAULT_BATCH, Runner, Status

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunnerStatus:
    name: str
    status: Status
    position: int
    error: str | None


class ProjectionWorker:
    """Runs a runner per projection; any number of processes may run one (one leads each)."""

    def __init__(
        self,
        store: EventStore,
        names: Sequence[str] = (),
        *,
        batch: int = DEFAULT_BATCH,
        standby_poll: float | None = None,
    ) -> None:
        self.store = store
        self.positions = Positions(store)
        chosen = projections(names)
        # One read and one decoding of each batch for all the runners (see feed.py).
        feed = Feed.of(store, chosen)
        self.runners = {
            p.name: Runner(
                store, p, self.positions, batch=batch, standby_poll=standby_poll, feed=feed
            )
            for p in chosen
        }
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(runner.run(), name=f"khidma-projection-{name}")
            for name, runner in self.runners.items()
        ]

    async def stop(self, timeout: float = 10.0) -> None:
        """Let each runner finish its batch and let go; cancel those busy after ``timeout``."""
        for runner in self.runners.values():
            runner.stop()
        if self._tasks:
            _, busy = await asyncio.wait(self._tasks, timeout=timeout)
            for task in busy:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []

    async def run(self) -> None:
        """Run until cancelled (a failed projection stops alone; the others go on)."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
            await asyncio.Event().wait()  # every projection failed: stay up for status
        finally:
            await self.stop()

    async def wait_for(self, name: str, position: int, timeout: float = 10.0) -> int:
        """Read-your-writes: return once projection ``name`` has applied up to ``position``."""
        return await self.positions.wait_for(name, position, timeout)

    async def wait_for_all(self, position: int, timeout: float = 10.0) -> None:
        await asyncio.gather(
            *(self.positions.wait_for(name, position, timeout) for name in self.runners)
        )

    async def lag(self) -> dict[str, Lag]:
        return {name: await runner.lag() for name, runner in self.runners.items()}

    def status(self) -> list[RunnerStatus]:
        return [
            RunnerStatus(name, r.status, r.position, r.error) for name, r in self.runners.items()
        ]
