"""Single statements on the pool's connections, without asyncpg's acquire and release per use.

``Pool.fetch`` acquires a connection and releases it for every statement: a queue, a proxy, a
future, a timeout scope, a reset, an inactivity timer and a shielded task, which together cost
the client more than a short statement does. A :class:`Lender` takes up to ``size``
connections from the pool and keeps them between statements. A statement that finds them all
busy waits its turn: a connection that comes free goes to the longest waiter, never to a
newcomer, so no caller is overtaken again and again. A connection unused for ``linger``
seconds goes back to the pool, and so does one whose statement failed in any way (the pool
resets or replaces it), so the pool stays the only judge of a connection's health.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Protocol

import asyncpg
from asyncpg.pool import PoolConnectionProxy


class Statements(Protocol):
    """What runs one statement: a Lender, an asyncpg Pool or Connection."""

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]: ...


# What a waiter is handed: a connection, or None for leave to take one from the pool.
_Turn = asyncio.Future[PoolConnectionProxy | None]


class Lender:
    """Runs one statement at a time on a connection lent from ``pool`` (``size`` at most)."""

    def __init__(self, pool: asyncpg.Pool, size: int = 4, linger: float = 1.0) -> None:
        if size < 1:
            raise ValueError(f"a lender needs at least one connection, not {size}")
        self._pool = pool
        self._size = size
        self._linger = linger
        self._held = 0  # connections taken from the pool: idle here or running a statement
        self._idle: list[tuple[PoolConnectionProxy, float]] = []  # (connection, last used)
        self._waiting: deque[_Turn] = deque()
        self._sweep: asyncio.TimerHandle | None = None
        self._releasing: set[asyncio.Task[None]] = set()
        self._unstarted: dict[asyncio.Task[None], PoolConnectionProxy] = {}
        self._closed = False

    @property
    def idle(self) -> int:
        """Connections held between statements."""
        return len(self._idle)

    @property
    def held(self) -> int:
        """Connections taken from the pool (idle or running a statement)."""
        return self._held

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
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_exception(asyncpg.InterfaceError("the store is closing"))
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._held -= 1
            await self._pool.release(conn)
        # A give-back cancelled before it ran queues itself again: wait for those as well.
        while self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        conn = await self._take()
        try:
            result = await getattr(conn, method)(query, *args)
        except BaseException:
            self._held -= 1
            try:
                await self._pool.release(conn)
            finally:
                self._pass_on(None)
            raise
        self._pass_on(conn)
        return result

    def expire(self) -> None:
        """Give back every idle connection (after ``Pool.expire_connections``: the pool closes
        those of the old generation as they come back)."""
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._held -= 1
            self._release_later(conn)

    async def _take(self) -> PoolConnectionProxy:
        while self._idle:
            conn = self._idle.pop()[0]  # the most recently used: the others may age out
            try:
                closed = conn.is_closed()
            except asyncpg.InterfaceError:  # it closed and the pool took it back already
                self._held -= 1
                continue
            if not closed:
                return conn
            self._held -= 1  # it closed while it waited here: the pool replaces it
            self._release_later(conn)
        if self._closed:
            raise asyncpg.InterfaceError("the store is closing")
        if self._held >= self._size:
            turn: _Turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            try:
                conn = await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():  # handed something as it gave up
                    self._pass_on(turn.result())
                raise
            if conn is not None:
                return conn
        self._held += 1
        try:
            return await self._pool.acquire()
        except BaseException:
            self._held -= 1
            self._pass_on(None)
            raise

    def _pass_on(self, conn: PoolConnectionProxy | None) -> None:
        """Hand ``conn`` (None: leave to take one from the pool) to the longest waiter; with
        nobody waiting, keep the connection for the next statement."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(conn)
                return
        if conn is None:
            return
        if self._closed:
            self._held -= 1
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
            self._held -= 1
            self._release_later(conn)
        if self._idle:
            self._sweep = loop.call_later(self._linger, self._release_unused)

    def _release_later(self, conn: PoolConnectionProxy) -> None:
        task = asyncio.get_running_loop().create_task(self._give_back())
        self._unstarted[task] = conn
        self._releasing.add(task)
        task.add_done_callback(self._given_back)

    async def _give_back(self) -> None:
        conn = self._unstarted.pop(asyncio.current_task())  # type: ignore[arg-type]
        await self._pool.release(conn)  # shielded by asyncpg from its first step on

    def _given_back(self, task: asyncio.Task[None]) -> None:
        self._releasing.discard(task)
        conn = self._unstarted.pop(task, None)
        if conn is not None:
            # Cancelled before its first step (a loop shutting down cancels every task): a
            # connection never given back would make the pool's close wait forever.
            self._release_later(conn)
