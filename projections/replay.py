"""Rebuild projections into fresh tables while the live ones keep serving, then swap them in.

The log is read once for all the projections being rebuilt; each batch and each rebuilt
projection's position commit together. Once caught up, each projection's swap transaction
locks its live tracking row (waiting out the live runner's batch), applies what the live
tables got meanwhile, optionally compares checksums at that same position, and renames the
rebuilt tables into place: readers see the old tables or the new, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from khidma.core.events import CONNECTION_ERRORS, EventStore, RecordedEvent
from khidma.core.events.locks import lock_key

from . import storage
from .decoding import Decoded, Decoder
from .projection import NEXT, Projection, ProjectionError, Tables

Progress = Callable[[int, int], None]  # (position reached, head of the log when started)
DEFAULT_BATCH = 10_000


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

    def select(self, events: Sequence[Decoded]) -> list[Decoded]:
        return [e for e in events if e.family in self.families]


async def rebuild(
    store: EventStore,
    projections: Sequence[Projection],
    *,
    batch: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    verify: bool = False,
) -> list[Rebuilt]:
    """Rebuild ``projections`` from the log and swap each in; ProjectionError names a bad event."""
    schema = store.settings.db_schema
    conns: list[asyncpg.Connection] = [await store.pool.acquire() for _ in projections]
    conn = conns[0]
    try:
        for projection in projections:
            await _claim(conn, schema, projection)
        targets = []
        for projection in projections:
            await storage.ensure(conn, schema, projection)
            tables = await storage.create_next(conn, schema, projection)
            targets.append(_Target(projection, tables, projection.families))
        decoder = Decoder(lambda kind: any(kind.family in t.families for t in targets))
        head = await store.head()
        position = await _follow(store, conns, targets, decoder, 0, None, batch, progress, head)
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
        with contextlib.suppress(*CONNECTION_ERRORS):
            await conn.execute("SELECT pg_advisory_unlock_all()")
        for c in conns:
            await store.pool.release(c)


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
) -> int:
    """Apply the log after ``position`` (up to ``until``, else until caught up); return where."""

    def read(after: int) -> asyncio.Task[list[RecordedEvent]]:
        limit = batch if until is None else max(1, min(batch, until - after))
        return asyncio.create_task(store.read_all(after, limit))

    pending = read(position)
    try:
        while True:
            records = await pending
            if until is not None:
                records = [r for r in records if r.position is not None and r.position <= until]
            if not records:
                return position
            last = records[-1].position
            assert last is not None
            done = until is not None and last >= until
            caught_up = until is None and len(records) < batch
            if not (done or caught_up):
                pending = read(last)  # read the next batch while this one is applied
            events = [e for r in records if (e := _decode(decoder, r)) is not None]
            # Each projection commits on its own connection: the server works on one batch
            # while this process decodes and folds for the others.
            await asyncio.gather(
                *(_apply(c, t, events, last) for c, t in zip(conns, targets, strict=True))
            )
            position = last
            if progress is not None:
                progress(position, head)
            if done or caught_up:
                return position
    finally:
        if not pending.done():
            pending.cancel()


def _decode(decoder: Decoder, record: RecordedEvent) -> Decoded | None:
    try:
        return decoder.decode(record)
    except Exception as error:
        kind = decoder.kind(record.topic)
        assert record.position is not None
        event = Decoded(
            record.position, record.stream_id, record.version, record.topic,
            kind.family if kind else "?", kind.name if kind else record.topic, {},
            record.metadata, record.recorded_at, record.recorded_at,
        )  # fmt: skip
        raise ProjectionError("replay", event, error) from error


async def _apply(
    conn: asyncpg.Connection, target: _Target, events: Sequence[Decoded], last: int
) -> None:
    selected = target.select(events)
    try:
        async with conn.transaction():
            if selected:
                await target.projection.prepare(conn, target.tables)
                await target.projection.apply(conn, selected, target.tables)
            await conn.execute(
                "UPDATE tracking SET position = $2 WHERE tracker = $1 AND upstream = $3",
                storage.tracker(target.projection, NEXT),
                last,
                storage.UPSTREAM,
            )
    except ProjectionError:
        raise
    except (asyncpg.PostgresError, LookupError, KeyError, TypeError, ValueError) as error:
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
