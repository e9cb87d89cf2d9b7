"""Waking readers: a local signal, and the LISTEN connection that feeds it across processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)


class Signal:
    """Something changed; waiters wake, or time out and look for themselves.

    Take a ``token()`` before looking, and wait on it after: a ``fire`` in between is not lost.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def token(self) -> asyncio.Event:
        """Set by the next ``fire``."""
        return self._event

    async def wait(self, timeout: float, token: asyncio.Event | None = None) -> bool:
        """Wait for the next ``fire`` (since ``token`` was taken); False on timeout."""
        event = token or self._event
        try:
            # Not wait_for: on Python 3.11 it can swallow a cancellation racing the event.
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            return False
        return True


class Listener:
    """One LISTEN connection per process; reconnects with backoff when the connection drops.

    While it is down, readers fall back to polling, so nothing is missed, only later.
    """

    def __init__(
        self,
        connect: Callable[[], asyncpg.connect],
        channel: str,
        on_notify: Callable[[str], None],
    ) -> None:
        self._connect = connect
        self._channel = channel
        self._on_notify = on_notify
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.reconnects = 0

    @property
    def pid(self) -> int | None:
        """The server process of the LISTEN connection, when connected."""
        return self._conn.get_server_pid() if self._conn and not self._conn.is_closed() else None

    async def start(self) -> None:
        await self._open()
        self._task = asyncio.create_task(self._watch(), name="khidma-listener")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn and not self._conn.is_closed():
            await self._conn.close()

    async def _open(self) -> None:
        conn = await self._connect()
        conn.add_termination_listener(lambda _conn: self._lost.set())
        await conn.add_listener(self._channel, self._notified)
        self._conn = conn
        self._lost.clear()
        # Anything announced while we were away: let readers look.
        self._on_notify("")

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._on_notify(payload)

    async def _watch(self) -> None:
        delay = 0.05
        while True:
            await self._lost.wait()
            log.warning("LISTEN connection lost; reconnecting")
            while True:
                try:
                    await self._open()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                    log.warning("reconnect failed (%s); retrying in %.2fs", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                else:
                    self.reconnects += 1
                    delay = 0.05
                    break
