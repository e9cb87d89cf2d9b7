"""khidma's store on an event loop of its own thread, for eventsourcing's synchronous recorders.

Each call runs a coroutine on that loop and waits for it; the store's and the driver's errors
are raised as eventsourcing's. Closing cancels the calls still running, never the store's own
tasks, then closes the store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import asyncpg
from eventsourcing.persistence import (
    DataError,
    InfrastructureFactoryError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

from ..config import Settings
from .errors import ConcurrencyError, InvalidEventError, TrackingError
from .migrate import migrate_database
from .store import EventStore

_T = TypeVar("_T")


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Raise the store's and the driver's errors as eventsourcing's."""
    try:
        yield
    except (ConcurrencyError, TrackingError, asyncpg.UniqueViolationError) as error:
        raise IntegrityError(str(error)) from error
    except InvalidEventError as error:
        raise DataError(str(error)) from error
    except asyncpg.UndefinedTableError as error:
        raise ProgrammingError(f"{error} (is the schema migrated?)") from error
    except asyncpg.PostgresConnectionError as error:
        raise OperationalError(str(error)) from error


class StoreThread:
    """khidma's store, owned by an event loop on a thread of its own."""

    def __init__(self, settings: Settings, migrate: bool) -> None:
        dsn = settings.database_url
        if not dsn:
            raise InfrastructureFactoryError("KHIDMA_DATABASE_URL is not set")
        self.settings = settings
        self.closed = False
        self._lock = threading.Lock()  # a call is submitted whole before close, or refused
        self._calls: set[asyncio.Task[Any]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="khidma-bridge", daemon=True
        )
        self._thread.start()
        try:
            if migrate:
                self.call(migrate_database(dsn, settings))
            self.store: EventStore = self.call(EventStore.open(dsn, settings))
        except BaseException:
            self._stop()
            raise

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Start ``coro`` on the store's loop."""
        with self._lock:
            if self.closed or threading.current_thread() is self._thread:
                coro.close()
                raise ProgrammingError("the store is closed, or this is its own thread")
            return asyncio.run_coroutine_threadsafe(self._tracked(coro), self._loop)

    async def _tracked(self, coro: Coroutine[Any, Any, _T]) -> _T:
        task = asyncio.current_task()
        assert task is not None
        self._calls.add(task)
        try:
            return await coro
        finally:
            self._calls.discard(task)

    def call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the store's loop and return its result."""
        future = self.submit(coro)
        with translated():
            return future.result()

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True  # refuse new work from here on
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
        finally:
            self._stop()

    async def _shutdown(self) -> None:
        # Only the callers' calls are cancelled: the store's own tasks (a connection on its way
        # back to the pool, asyncpg's shielded resets) finish, and the store's close waits for
        # them. Every call submitted before close has taken its first step by now (the loop
        # runs callbacks in order), so it is in the set.
        calls = list(self._calls)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        await self._loop.shutdown_asyncgens()
        await self.store.close()

    def _stop(self) -> None:
        self.closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        # Whatever is still pending (the store's close failed, or the loop never started it):
        # cancelled, so that no caller waits forever.
        leftover = asyncio.all_tasks(self._loop)
        for task in leftover:
            task.cancel()
        if leftover:
            self._loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        self._loop.close()
