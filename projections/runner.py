"""The runner: follows the log for one projection, one batch and its position per transaction.

Exactly one runner per projection applies at a time, across processes: it leads while it holds
a session advisory lock on the connection its transactions run on, so a process that dies
(and its connection) hands over to the next runner that asks. Each batch also locks the
projection's tracking row and checks it still holds the position the runner read from; a
batch that finds another position (a rebuild was swapped in) is dropped and read again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from enum import StrEnum

import asyncpg

from khidma.core.events import CONNECTION_ERRORS, EventStore, Lag
from khidma.core.events.locks import lock_key

from . import storage
from .decoding import Decoded, undecoded
from .feed import Batch, Feed
from .positions import Positions
from .projection import Projection, ProjectionError

log = logging.getLogger(__name__)

DEFAULT_BATCH = 2_000


class Status(StrEnum):
    STARTING = "starting"
    STANDBY = "standby"  # another runner leads
    FOLLOWING = "following"
    FAILED = "failed"  # stopped on an event it cannot apply; see ``error``


class _Moved(Exception):
    """The tracking row is not where this runner left it (a rebuild was swapped in)."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def leader_key(schema: str, projection: Projection) -> int:
    return lock_key(schema, f"projection:{projection.name}")


class Runner:
    """Runs one projection: leads, or waits to take over from the runner that does."""

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        positions: Positions | None = None,
        *,
        batch: int = DEFAULT_BATCH,
        standby_poll: float | None = None,
        feed: Feed | None = None,
    ) -> None:
        """``feed``: shared with the process's other runners (see feed.py), else its own,
        which holds nothing back: nobody else would read it."""
        self.store = store
        self.projection = projection
        self.positions = positions or Positions(store)
        self.batch = batch
        self.standby_poll = store.settings.poll_interval if standby_poll is None else standby_poll
        self.feed = feed or Feed.of(store, [projection], window=0)
        self.tables = projection.tables()
        self.status = Status.STARTING
        self.position = 0
        self.error: str | None = None
        self._stopping = asyncio.Event()
        self._schema = store.settings.db_schema
        self._channel = f"khidma_projections_{self._schema}"

    @property
    def name(self) -> str:
        return self.projection.name

    def stop(self) -> None:
        """Finish the batch at hand, let go of the lead and return from :meth:`run`."""
        self._stopping.set()
        self.store.progress.fire()  # wake a runner waiting for new events

    async def run(self, until: int | None = None) -> None:
        """Lead when possible and follow the log; return past ``until``, on failure or stop."""
        delay = 0.05
        while self.status is not Status.FAILED and not self._stopping.is_set():
            try:
                if await self._try_lead(until):
                    return
                delay = 0.05
                # Another runner leads: ask again soon. (Not wait_for: on Python 3.11 it can
                # swallow a cancellation racing the event.)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.standby_poll):
                        await self._stopping.wait()
            except CONNECTION_ERRORS as error:
                _raise_if_cancelled()
                log.warning("projection %s: connection lost (%s); retrying", self.name, error)
                await self.store.expire_connections()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except asyncpg.PostgresError as error:
                _raise_if_cancelled()
                # Outside a batch (its tables, its position): log loudly and try again later.
                log.error("projection %s: %s; retrying in %.1fs", self.name, error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _try_lead(self, until: int | None) -> bool:
        key = leader_key(self._schema, self.projection)
        conn: asyncpg.Connection = await self.store.pool.acquire()
        locked = False
        try:
            locked = await conn.fetchval("SELECT pg_try_advisory_lock($1)", key)
            if not locked:
                self.status = Status.STANDBY
                return False
            return await self._lead(conn, until)
        finally:
            await self._release(conn, key, locked)

    async def _release(self, conn: asyncpg.Connection, key: int, locked: bool) -> None:
        """Unlock and give the connection back; never raises, so a cancellation stays one.

        Pooled connections keep their session: a lock left behind would outlive this runner,
        so a connection that cannot unlock (a cancelled query still on it) is closed instead.
        """
        try:
            if locked and not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock($1)", key)
        except (*CONNECTION_ERRORS, asyncpg.PostgresError, asyncio.CancelledError):
            conn.terminate()
        finally:
            with contextlib.suppress(*CONNECTION_ERRORS, asyncio.CancelledError):
                await self.store.pool.release(conn)

    async def _lead(self, conn: asyncpg.Connection, until: int | None) -> bool:
        state = await storage.ensure(conn, self._schema, self.projection)
        if state.version != self.projection.version:
            from .replay import rebuild  # the runner rebuilds tables whose version changed

            log.info(
                "projection %s: tables at version %d, code at %d; rebuilding",
                self.name,
                state.version,
                self.projection.version,
            )
            await rebuild(self.store, [self.projection])
            state = await storage.state(conn, self.projection)
        if state.error:
            log.info("projection %s: retrying after: %s", self.name, state.error)
        self.position = state.position
        self.status = Status.FOLLOWING
        self.positions.advanced(self.name, self.position)
        if state.error:
            await storage.clear_error(conn, self.projection)
        read: asyncio.Task[Batch] | None = None
        try:
            while (until is None or self.position < until) and not self._stopping.is_set():
                token = self.store.progress.token()
                if read is None:
                    read = asyncio.create_task(self.feed.read(self.position, self.batch, self))
                batch = await read
                read = None
                records = batch.records
                if not records:
                    if until is not None and self.position >= until:
                        break
                    await self.store.progress.wait(self.store.settings.poll_interval, token)
                    continue
                last = records[-1].position
                assert last is not None
                if len(records) == self.batch:  # read the next batch while this one applies
                    read = asyncio.create_task(self.feed.read(last, self.batch, self))
                try:
                    await self._apply(conn, batch)
                except _Moved as moved:
                    log.info("projection %s: moved to position %d", self.name, moved.position)
                    self.position = moved.position
                    if read is not None:
                        read.cancel()
                        read = None
                except ProjectionError as error:
                    await self._fail(error)
                    return True
        finally:
            if read is not None:
                read.cancel()
                with contextlib.suppress(asyncio.CancelledError, *CONNECTION_ERRORS):
                    await read
            self.feed.leave(self)
        return True

    async def _fail(self, error: ProjectionError) -> None:
        self.status = Status.FAILED
        self.error = str(error)
        log.error("%s; projection stopped", error)
        await storage.record_error(self.store.pool, self.projection, str(error), error.position)

    def _select(self, batch: Batch) -> tuple[list[Decoded], ProjectionError | None]:
        """The batch's events this projection follows, up to the first of them that could not
        be decoded, and the error naming that one (None if there is none)."""
        events: list[Decoded] = []
        kind_of, wants = self.feed.decoder.kind, self.projection.wants
        for record, item in zip(batch.records, batch.decoded, strict=True):
            if item is None:
                continue
            kind = kind_of(record.topic)
            if kind is None or not wants(kind):
                continue
            if isinstance(item, Exception):
                failure = ProjectionError(self.name, undecoded(record, kind), item)
                failure.__cause__ = item
                return events, failure
            events.append(item)
        return events, None

    async def _apply(self, conn: asyncpg.Connection, batch: Batch) -> None:
        last = batch.records[-1].position
        assert last is not None
        events, undecodable = self._select(batch)
        if undecodable is not None:
            # Apply everything before the event that cannot be decoded, then stop at it.
            if events:
                await self._commit(conn, events, events[-1].position)
            raise undecodable
        try:
            await self._commit(conn, events, last)
        except (_Moved, *CONNECTION_ERRORS):
            raise
        except Exception as error:
            if len(events) <= 1:
                if events:
                    raise ProjectionError(self.name, events[0], error) from error
                raise
            # Find the event: apply them one at a time (each with its position).
            log.warning("projection %s: batch failed (%s); isolating the event", self.name, error)
            for event in events:
                try:
                    await self._commit(conn, [event], event.position)
                except (_Moved, *CONNECTION_ERRORS):
                    raise
                except Exception as single:
                    raise ProjectionError(self.name, event, single) from single
            await self._commit(conn, [], last)

    async def _commit(self, conn: asyncpg.Connection, events: Sequence[Decoded], last: int) -> None:
        """Apply ``events`` and move the tracking position to ``last``, in one transaction."""
        if last <= self.position:
            return
        async with conn.transaction():
            current = await storage.lock_live(conn, self.projection)
            if current != self.position:
                raise _Moved(current)
            if events:
                await self.projection.prepare(conn, self.tables)
                await self.projection.apply(conn, events, self.tables)
            await conn.execute(
                "UPDATE tracking SET position = $2, recorded_at = clock_timestamp()"
                " WHERE tracker = $1 AND upstream = $3",
                storage.tracker(self.projection),
                last,
                storage.UPSTREAM,
            )
            await conn.execute("SELECT pg_notify($1, $2)", self._channel, f"{self.name}:{last}")
        self.position = last
        self.positions.advanced(self.name, last)

    async def lag(self) -> Lag:
        """How far behind the log the live tables are: events, and the oldest one's age."""
        row = await self.store.pool.fetchrow(
            "SELECT s.last_position - coalesce(t.position, 0) AS events,"
            " coalesce(extract(epoch FROM clock_timestamp() - l.sequenced_at), 0) AS seconds"
            " FROM sequencer_state s"
            " LEFT JOIN tracking t ON t.tracker = $1 AND t.upstream = $2"
            " LEFT JOIN event_log l ON l.position = coalesce(t.position, 0) + 1",
            storage.tracker(self.projection),
            storage.UPSTREAM,
        )
        assert row is not None
        return Lag(events=max(0, int(row["events"])), seconds=float(row["seconds"]))


def _raise_if_cancelled() -> None:
    """A cancelled query can surface as a connection error: stopping must still stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
