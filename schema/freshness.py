"""Read-your-writes: a mutation answers once the projections reflect what it wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

from khidma.core.events import EventStore
from khidma.projections.positions import Positions

_LAST = (
    "SELECT l.position FROM events e LEFT JOIN event_log l ON l.event_id = e.event_id"
    " WHERE e.stream_id = $1 ORDER BY e.version DESC LIMIT 1"
)


class Freshness:
    """Waits until a projection has applied a stream's latest event.

    ``positions`` is the projection worker's when it runs in this process (woken at once by
    each batch it commits), else one that polls the tracking table.
    """

    def __init__(self, store: EventStore, positions: Positions, timeout: float = 10.0) -> None:
        self.store = store
        self.positions = positions
        self.timeout = timeout

    async def logged(self, stream_id: UUID) -> int:
        """The log position of the stream's latest event, once the sequencer has logged it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        pause = 0.005
        while True:
            token = self.store.progress.token()
            found = await self.store.pool.fetchrow(_LAST, stream_id)
            if found is None:
                return 0
            if found["position"] is not None:
                return int(found["position"])
            if loop.time() >= deadline:
                raise TimeoutError(f"stream {stream_id} not logged after {self.timeout}s")
            await self.store.progress.wait(pause, token)
            pause = min(pause * 2, self.store.settings.poll_interval)

    async def caught_up(self, projections: Sequence[str], *stream_ids: UUID) -> None:
        """Return once every projection named has applied the latest event of every stream
        given."""
        positions = [await self.logged(s) for s in stream_ids]
        await self.reached(max(positions, default=0), projections)

    async def reached(self, position: int, projections: Sequence[str]) -> None:
        """Return once every projection named has applied the log up to ``position``."""
        if position:
            for name in projections:
                await self.positions.wait_for(name, position, self.timeout)
