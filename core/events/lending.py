"""Single statements on the pool's connections, without asyncpg's acquire and release per use.

``Pool.fetch`` acquires a connection and releases it for every statement: a queue, a proxy, a
future, a timeout scope, a reset, an inactivity timer and a shielded task, which together cost
the client more than a short statement does. A :class:`Lender` takes connections from the pool
and keeps up to ``keep`` of them between statements. One unused for ``linger`` seconds goes
back to the pool, and so does one whose statement failed in any way (the pool resets or
replaces it), so the pool stays the only judge of a connection's health.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy


class Statements(Protocol):
    """What runs one statement: a Lender, an asyncpg Pool or Connection."""

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]: ...


class Lender:
    """Runs one statement at a time on a connection lent from ``pool``."""

    def __init__(self, pool: asyncpg.Pool, keep: int = 4, linger: float = 1.0) -> None:
        self._pool = pool
        self._keep = keep
        self._linger = linger
        self._idle: list[tuple[PoolConnectionProxy, float]] = []  # (connection, last used)
        self._sweep: asyncio.TimerHandle | None = None
        self._releasing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def idle(self) -> int:
        """Connections held between statements."""
        return len(self._idle)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._run("fetch", query, args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self._run("fetchrow", query, args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)

    async def execute(self, query: str, *args: Any) -> str:
        return await self._run("execute", query, args)

    async def close(self) -> None:
        """Give every connection back to the pool (before the pool closes: it waits for them)."""
        self._closed = True
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await self._pool.release(conn)
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        conn = await self._take()
        try:
            result = await getattr(conn, method)(query, *args)
        except BaseException:
            await self._pool.release(conn)
            raise
        self._keep_or_release(conn)
        return result

    async def _take(self) -> PoolConnectionProxy:
        if self._idle:
            return self._idle.pop()[0]  # the most recently used: the others may age out
        if self._closed:
            raise asyncpg.InterfaceError("the store is closing")
        return await self._pool.acquire()

    def _keep_or_release(self, conn: PoolConnectionProxy) -> None:
        if self._closed or len(self._idle) >= self._keep:
            self._release_later(conn)
            return
        loop = asyncio.get_running_loop()
        self._idle.append((conn, loop.time()))
        if self._sweep is None:
            self._sweep = loop.call_later(self._linger, self._release_unused)

    def _release_unused(self) -> None:
        """Give back the connections no statement used for ``linger`` seconds."""
        loop = asyncio.get_running_loop()
        self._sweep = None
        since = loop.time() - self._linger
        unused = [conn for conn, used in self._idle if used <= since]
        self._idle = [(conn, used) for conn, used in self._idle if used > since]
        for conn in unused:
            self._release_later(conn)
        if self._idle:
            self._sweep = loop.call_later(self._linger, self._release_unused)

    def _release_later(self, conn: PoolConnectionProxy) -> None:
        task = asyncio.get_running_loop().create_task(self._pool.release(conn))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)
