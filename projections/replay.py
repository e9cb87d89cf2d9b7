"""Rebuild projections into fresh tables while the live ones keep serving, then swap them in.

The log is read once (one cursor, see reading.py) and decoded once for all the projections
being rebuilt; each projection applies it in its own task on its own connection (whose
timestamptz values go through timestamps.py's cheaper codec). The new tables start empty
and a rebuild always starts from the beginning, so a projection keeps the rows it changes in
memory across batches (a bounded number; the least recently changed are written out) and
writes each about once, by COPY when new, instead of reading and writing it back per batch;
what it holds is written at the end of the pass. Should that pass fail, it is run again batch
by batch, as the live runner applies, which names the event. Once caught up, each
projection's swap transaction locks its live tracking row (waiting out the live runner's
batch), applies what the live tables got meanwhile, optionally compares checksums at that
same position, and renames the rebuilt tables into place: readers see the old tables or the
new, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from khidma.core.events import CONNECTION_ERRORS, EventStore
from khidma.core.events.locks import lock_key

from . import reading, storage, timestamps
from .decoding import Decoded, Decoder
from .projection import NEXT, Projection, ProjectionError, Tables

Progress = Callable[[int, int], None]  # (position reached, head of the log when started)
DEFAULT_BATCH = 10_000
# Rows per table kept across batches: more than the requests open at once, so that most rows
# are written once; memory is bounded by it, whatever the length of the log.
DEFAULT_KEEP = 20_000
# What applying a batch may raise: a fault of the event (or of the database, while applying).
_FAULTS = (asyncpg.PostgresError, LookupError, KeyError, TypeError, ValueError)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """One rebuilt projection: the position it was swapped in at, and the verification."""

    name: str
    position: int
    live_position: int
    live: dict[str, tuple[int, str]] | None = None
    rebuilt: dict[str, tuple[int, str]] | None = None

    @property
    def verified(self) -> bool | None:
        """True if the live and rebuilt tables matched; None if not compared."""
        if self.live is None or self.rebuilt is None:
            return None
        return self.live == self.rebuilt


@dataclass
class _Target:
    projection: Projection
    tables: Tables
    families: frozenset[str]


async def rebuild(
    store: EventStore,
    projections: Sequence[Projection],
    *,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    verify: bool = False,
    keep: int = DEFAULT_KEEP,
) -> list[Rebuilt]:
    """Rebuild ``projections`` from the log and swap each in; ProjectionError names a bad event.

    During the pass over the log each projection keeps up to ``keep`` rows per table in memory
    across batches (0: none, each batch reads and writes its rows, as the live runner does).
    """
    schema = store.settings.db_schema
    # What each batch leaves behind is frozen out of the cyclic collector's view (rows are
    # freed by reference counting): it rescanned the kept rows again and again, a quarter of a
    # rebuild's CPU. Only where nothing else in the process freezes (a server freezes its
    # startup objects, and thawing everything at the end would undo that). During the pass the
    # collector is off as well: decoding allocates containers for every event, and its passes
    # over each batch (a seventh of the CPU) found nothing: folding makes no cycles.
    freeze = gc.get_freeze_count() == 0
    collecting = freeze and gc.isenabled()
    conns: list[asyncpg.Connection] = [await store.pool.acquire() for _ in projections]
    conn = conns[0]
    if collecting:
        gc.disable()
    try:
        for c in conns:
            await _plan_each_time(c)
            await timestamps.encode_faster(c)
        for projection in projections:
            await _claim(conn, schema, projection)
        for projection in projections:
            await storage.ensure(conn, schema, projection)
        head = await store.head()
        targets: list[_Target] = []
        decoder = Decoder(lambda kind: any(kind.family in t.families for t in targets))
        try:
            targets[:] = await _fresh(conn, schema, projections)
            position = await _follow(
                store, conns, targets, decoder, 0, None, batch, progress, head, keep, freeze
            )
        except _KeptFailed as failed:
            # Re-run it batch by batch, from a clean slate: that names the event (or, should
            # the fault be in the kept rows, rebuilds without them).
            log.warning("rebuild with kept rows failed (%s); rebuilding batch by batch", failed)
            targets[:] = await _fresh(conn, schema, projections)
            position = await _follow(
                store, conns, targets, decoder, 0, None, batch, progress, head, 0, freeze
            )
        for target in targets:
            await storage.add_indexes(conn, target.projection)
        results = []
        for target in targets:
            async with conn.transaction():
                live_position = await storage.lock_live(conn, target.projection)
                reached = position
                if live_position > position:
                    reached = await _follow(
                        store, [conn], [target], decoder, position, live_position, batch, None, 0
                    )
                live = rebuilt = None
                if verify and live_position == reached:
                    live = await storage.checksum(conn, target.projection.tables())
                    rebuilt = await storage.checksum(conn, target.tables)
                await storage.swap(conn, schema, target.projection, reached)
            results.append(Rebuilt(target.projection.name, reached, live_position, live, rebuilt))
        return results
    finally:
        if freeze:
            gc.unfreeze()
        if collecting:
            gc.enable()
        for projection in projections:
            projection.retain(0)
        with contextlib.suppress(*CONNECTION_ERRORS):
            await conn.execute("SELECT pg_advisory_unlock_all()")
        for c in conns:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await c.execute("RESET plan_cache_mode")  # the pool keeps session settings
                await timestamps.encode_as_usual(c)
            await store.pool.release(c)


async def _fresh(
    conn: asyncpg.Connection, schema: str, projections: Sequence[Projection]
) -> list[_Target]:
    targets = []
    for projection in projections:
        tables = await storage.create_next(conn, schema, projection)
        targets.append(_Target(projection, tables, projection.families))
    return targets


class ReplayRunningError(RuntimeError):
    """Another process is rebuilding the same projection."""


async def _claim(conn: asyncpg.Connection, schema: str, projection: Projection) -> None:
    key = lock_key(schema, f"replay:{projection.name}")
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
        raise ReplayRunningError(f"a replay of {projection.name!r} is already running")


async def _follow(
    store: EventStore,
    conns: Sequence[asyncpg.Connection],
    targets: Sequence[_Target],
    decoder: Decoder,
    position: int,
    until: int | None,
    batch: int,
    progress: Progress | None,
    head: int,
    keep: int = 0,
    freeze: bool = False,
) -> int:
    """Apply the log after ``position`` (up to ``until``, else until caught up); return where.

    Each projection applies on its own connection, in its own task, up to two batches behind
    the reader: the server writes one projection's batch while this process folds another's.
    """
    lanes = [_Lane(c, t, position, keep) for c, t in zip(conns, targets, strict=True)]
    tasks = [asyncio.create_task(lane.run()) for lane in lanes]
    try:
        pages = reading.pages(store, decoder, position, until, batch, head)
        async with contextlib.aclosing(pages):
            async for last, events in pages:
                if any(lane.error for lane in lanes):
                    break
                chosen: dict[frozenset[str], list[Decoded]] = {}
                for lane in lanes:
                    families = lane.target.families
                    if families not in chosen:
                        chosen[families] = [e for e in events if e.family in families]
                    await lane.queue.put((chosen[families], last))
                position = last
                if freeze:
                    gc.freeze()  # ``rebuild`` thaws it all at the end
                if progress is not None:
                    progress(min(lane.position for lane in lanes), head)
        for lane in lanes:
            await lane.queue.put(None)
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    for lane in lanes:
        if lane.error is not None:
            raise lane.error
    if progress is not None:
        progress(position, head)
    return position


class _KeptFailed(Exception):
    """Applying with rows kept across batches failed; the event is named batch by batch."""


class _Lane:
    """One projection's share of a pass over the log: its connection and its queue of batches."""

    def __init__(self, conn: asyncpg.Connection, target: _Target, position: int, keep: int) -> None:
        self.conn = conn
        self.target = target
        self.position = position
        self.keep = keep
        self.queue: asyncio.Queue[tuple[list[Decoded], int] | None] = asyncio.Queue(maxsize=2)
        self.error: Exception | None = None

    async def run(self) -> None:
        projection = self.target.projection
        projection.retain(self.keep)
        try:
            while (item := await self.queue.get()) is not None:
                if self.error is None:  # after an error, drain: the reader must not block
                    try:
                        await self._apply(*item)
                    except Exception as error:
                        self.error = self._failed(error)
            if self.error is None and self.keep:
                try:
                    async with self.conn.transaction():
                        await projection.finish(self.conn, self.target.tables)
                        await _track(self.conn, projection, self.position)
                except Exception as error:
                    self.error = self._failed(error)
        finally:
            projection.retain(0)

    def _failed(self, error: Exception) -> Exception:
        if self.keep and isinstance(error, _FAULTS) and not isinstance(error, CONNECTION_ERRORS):
            return _KeptFailed(f"{self.target.projection.name}: {type(error).__name__}: {error}")
        return error

    async def _apply(self, events: list[Decoded], last: int) -> None:
        if not self.keep:
            await _apply(self.conn, self.target, events, last)
        elif events:
            projection, tables = self.target.projection, self.target.tables
            async with self.conn.transaction():
                await projection.prepare(self.conn, tables)
                await projection.apply(self.conn, events, tables)
        self.position = last


async def _track(conn: asyncpg.Connection, projection: Projection, position: int) -> None:
    await conn.execute(
        "UPDATE tracking SET position = $2 WHERE tracker = $1 AND upstream = $3",
        storage.tracker(projection, NEXT),
        position,
        storage.UPSTREAM,
    )


async def _plan_each_time(conn: asyncpg.Connection) -> None:
    """Plan the rebuild's statements for the tables as they are now, not as they were (set
    once per connection for the rebuild, reset before it goes back to the pool).

    The tables being rebuilt start empty and grow by the batch. A statement the connection
    has prepared gets, after a few runs, a generic plan made while they were small: a row
    lookup by ``key = ANY($1)`` became a scan comparing every row with every key, which at a
    million events was most of PostgreSQL's work.
    """
    await conn.execute("SET plan_cache_mode = force_custom_plan")


async def _apply(
    conn: asyncpg.Connection, target: _Target, selected: Sequence[Decoded], last: int
) -> None:
    try:
        async with conn.transaction():
            if selected:
                await target.projection.prepare(conn, target.tables)
                await target.projection.apply(conn, selected, target.tables)
            await _track(conn, target.projection, last)
    except ProjectionError:
        raise
    except _FAULTS as error:
        if isinstance(error, CONNECTION_ERRORS):
            raise
        await _name_the_event(conn, target, selected, error)
        raise


async def _name_the_event(
    conn: asyncpg.Connection, target: _Target, events: Sequence[Decoded], error: BaseException
) -> None:
    """Replay a failed batch one event at a time (rolled back) to raise naming the event."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        for event in events:
            try:
                await target.projection.prepare(conn, target.tables)
                await target.projection.apply(conn, [event], target.tables)
            except (asyncpg.PostgresError, LookupError, KeyError, TypeError, ValueError) as e:
                raise ProjectionError(target.projection.name, event, e) from e
    finally:
        await transaction.rollback()
    # Not reproduced one by one: report the batch's error as it was.
    raise error
