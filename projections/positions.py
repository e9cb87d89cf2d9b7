"""Read-your-writes: wait until a projection has applied the log up to a position."""

from __future__ import annotations

import asyncio

from khidma.core.events import EventStore
from khidma.core.events.notify import Signal

from .storage import UPSTREAM

_FIRST_PAUSE = 0.01


class Positions:
    """How far each projection has got, as this process knows it.

    Runners in this process report each committed batch, which wakes waiters at once; a
    projection led by another process is polled, backing off up to the store's poll interval.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._known: dict[str, int] = {}
        self._signal = Signal()

    def advanced(self, name: str, position: int) -> None:
        # Waiters wake only for a move: ``position`` reports what it read here too, and a
        # waiter woken by its own look-up would look again at once, and again, without end.
        if position > self._known.get(name, -1):
            self._known[name] = position
            self._signal.fire()

    async def position(self, name: str) -> int:
        """The position the projection's tables reflect now (0 before its first batch)."""
        found = await self._store.pool.fetchval(
            "SELECT position FROM tracking WHERE tracker = $1 AND upstream = $2",
            f"projection:{name}",
            UPSTREAM,
        )
        position = int(found or 0)
        self.advanced(name, position)
        return position

    async def wait_for(self, name: str, position: int, timeout: float = 10.0) -> int:
        """Return the projection's position once it is at least ``position``.

        TimeoutError after ``timeout`` seconds, naming the projection and how far it got.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pause = _FIRST_PAUSE
        reached = self._known.get(name, 0)
        while True:
            token = self._signal.token()
            if reached < position:
                reached = await self.position(name)
            if reached >= position:
                return reached
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"projection {name!r} at position {reached}, not {position}, after {timeout}s"
                )
            if await self._signal.wait(min(pause, remaining), token):
                reached = self._known.get(name, 0)
            pause = min(pause * 2, self._store.settings.poll_interval)
