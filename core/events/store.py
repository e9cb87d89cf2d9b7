"""The event store: append, read, subscribe and wait, over an asyncpg pool."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from ..config import Settings
from . import database
from .commands import command_result, record_command
from .errors import DuplicateCommandError, InvalidEventError
from .lending import Lender
from .locks import channel
from .migrate import migrate_database
from .notify import Listener, Signal
from .records import (
    Appended,
    CommandRecord,
    NewEvent,
    PendingEvent,
    RecordedEvent,
    Tracking,
    check_topics,
)
from .sequencer import Cursor, Lag, Sequencer
from .snapshots import Snapshots
from .tracking import track, tracked
from .verify import ChainReport, verify_chain
from .writer import Writer

log = logging.getLogger(__name__)


_COLUMNS = "e.event_id, e.stream_id, e.version, e.topic, e.data, e.metadata, e.recorded_at"


class EventStore:
    """khidma's event store. Open it with :meth:`open`; close it with :meth:`close`."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, settings: Settings) -> None:
        self.pool = pool
        # Short statements on the hot paths (a batch of commands, a read by key) skip the
        # pool's acquire and release; they hold half the pool at most, the rest stays free.
        self.lender = Lender(pool, size=max(1, settings.pool_max_size // 2))
        self.settings = settings
        self.progress = Signal()
        self.appended = Signal()
        self.snapshots = Snapshots(pool, settings.max_event_bytes)
        self.sequencer = Sequencer(
            pool, settings.db_schema, settings.sequencer_batch, self.progress
        )
        self._writer = Writer(
            pool, self.lender, settings.max_event_bytes, self._written, self.sequencer
        )
        self._listener = Listener(
            lambda: database.connect(dsn, settings), channel(settings.db_schema), self._notified
        )
        self._notices: dict[str, Callable[[str], None]] = {}

    @classmethod
    async def open(cls, dsn: str, settings: Settings) -> EventStore:
        """Connect (the schema must already be migrated) and start listening for the log."""
        pool = await database.create_pool(dsn, settings)
        store = cls(pool, dsn, settings)
        try:
            await store._listener.start()
            await store.sequencer.run_once()
        except BaseException:
            await store.lender.close()
            await pool.close()
            raise
        return store

    async def close(self) -> None:
        await self._listener.close()
        await self.lender.close()  # the pool waits for the connections lent out
        await self.pool.close()

    async def expire_connections(self) -> None:
        """Replace every pooled connection (after a lost one): the pool's and the lender's."""
        await self.pool.expire_connections()
        self.lender.expire()

    @property
    def listener(self) -> Listener:
        return self._listener

    def _written(self) -> None:
        self.appended.fire()
        self.progress.fire()

    def on_notice(self, prefix: str, callback: Callable[[str], None]) -> None:
        """Hand NOTIFY payloads starting with ``prefix`` (stripped of it) to ``callback``, and
        "" whenever the LISTEN connection (re)opens, since notices may have been missed."""
        self._notices[prefix] = callback

    def _notified(self, payload: str) -> None:
        for prefix, callback in self._notices.items():
            if not payload:
                callback("")
            elif payload.startswith(prefix):
                callback(payload.removeprefix(prefix))
                return
        cursor = Cursor.parse(payload)
        if cursor is None:
            self.progress.fire()
        else:
            self.sequencer.advance(cursor)

    # -- writing ---------------------------------------------------------------------------

    async def append(
        self,
        stream_id: UUID,
        events: Sequence[NewEvent],
        expected_version: int,
        metadata: Mapping[str, Any] | None = None,
    ) -> Appended:
        """Append ``events`` to a stream now at ``expected_version`` (0 for a new stream).

        Raises ConcurrencyError (with the actual version) if the stream has moved on, and
        InvalidEventError naming the field for bad input; either way nothing is written.
        """
        if not isinstance(expected_version, int) or expected_version < 0:
            raise InvalidEventError("expected_version", "expected an integer ≥ 0")
        if not isinstance(events, Sequence) or isinstance(events, str | bytes):
            raise InvalidEventError("events", "expected a list of events")
        pending = [
            PendingEvent(
                stream_id, expected_version + i, getattr(e, "topic", None), getattr(e, "data", None)
            )  # type: ignore[arg-type]
            for i, e in enumerate(events, start=1)
        ]
        return await self._writer.append(pending, metadata, expected_version)

    async def record(
        self,
        events: Sequence[PendingEvent],
        metadata: Mapping[str, Any] | None = None,
        tracking: Tracking | None = None,
        *,
        command: CommandRecord | None = None,
        reads: Mapping[UUID, int] | None = None,
    ) -> Appended:
        """Write events whose versions the caller fixed, over any number of streams, at once.

        A version already taken, or a stream of ``reads`` (stream -> the version the caller
        decided on, 0 for none) with a newer event, raises ConcurrencyError; a ``tracking``
        position not past the tracker's last one raises TrackingError; a ``command`` whose
        idempotency key was used raises DuplicateCommandError. In every case nothing is written.
        """
        return await self._writer.record(list(events), metadata, tracking, command, reads)

    async def track(self, tracking: Tracking) -> None:
        """Record a tracking position alone; TrackingError if it is not past the last one."""
        await track(self.pool, tracking)

    async def tracked(self, tracker: str, upstream: str) -> int | None:
        """The last position of ``upstream`` that ``tracker`` recorded, or None."""
        return await tracked(self.pool, tracker, upstream)

    async def version(self, stream_id: UUID) -> int:
        """The stream's current version (0 if it has no events)."""
        return await self._writer.version(stream_id)

    async def moved(self, seen: Mapping[UUID, int]) -> list[UUID]:
        """The streams of ``seen`` (stream -> version, 0 for none) with a newer event."""
        return await self._writer.moved(seen)

    async def command_result(self, idempotency_key: str) -> CommandRecord | None:
        """What the command first run with this idempotency key recorded, if any."""
        return await command_result(self.pool, idempotency_key)

    async def record_command(self, command: CommandRecord) -> None:
        """Record a command that changed nothing; DuplicateCommandError if the key was used."""
        if not await record_command(self.pool, command):
            raise DuplicateCommandError(command.idempotency_key)

    async def sequenced(self, appended: Appended, timeout: float = 10.0) -> list[int]:
        """Wait until an append is in the log (readable by everyone); return its positions."""
        await self.sequencer.wait_past(appended.last_event, timeout)
        first = self.sequencer.first_positions.get(appended.tx_id)
        if first is not None:  # this process logged it: no need to ask
            start = first + appended.offset
            return list(range(start, start + len(appended.event_ids)))
        rows = await self.pool.fetch(
            "SELECT position FROM event_log WHERE event_id = ANY($1::bigint[]) ORDER BY position",
            list(appended.event_ids),
        )
        return [r[0] for r in rows]

    # -- reading ---------------------------------------------------------------------------

    async def read_stream(
        self, stream_id: UUID, from_version: int = 0, to_version: int | None = None
    ) -> list[RecordedEvent]:
        """A stream's events with ``from_version <= version <= to_version``, in order."""
        if not isinstance(stream_id, UUID):
            raise InvalidEventError("stream_id", "expected a UUID")
        rows = await self.pool.fetch(
            f"SELECT l.position, {_COLUMNS} FROM events e"
            " LEFT JOIN event_log l ON l.event_id = e.event_id"
            " WHERE e.stream_id = $1 AND e.version >= $2"
            " AND ($3::bigint IS NULL OR e.version <= $3)"
            " ORDER BY e.version",
            stream_id,
            from_version,
            to_version,
        )
        return [RecordedEvent(*r) for r in rows]

    async def read_all(
        self, after_position: int = 0, limit: int = 1000, topics: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        """Up to ``limit`` logged events after ``after_position``, in position order.

        A reader that reaches the end of the log runs the sequencer once, so events never wait
        on a particular process being alive to be logged.
        """
        if not isinstance(after_position, int) or after_position < 0:
            raise InvalidEventError("after_position", "expected an integer ≥ 0")
        if not isinstance(limit, int) or limit < 1:
            raise InvalidEventError("limit", "expected an integer ≥ 1")
        checked = check_topics(topics)
        events = await self._read_log(after_position, limit, checked)
        if len(events) < limit and await self.sequencer.run_once():
            more = await self._read_log(
                events[-1].position if events else after_position, limit - len(events), checked
            )
            events.extend(more)
        return events

    async def read_through(
        self, after_position: int, until_position: int, page: int = 10_000
    ) -> AsyncIterator[list[RecordedEvent]]:
        """The logged events after ``after_position`` up to ``until_position``, page by page
        (for long reads, as :meth:`read_rows`)."""
        columns = f"l.position, {_COLUMNS}"
        async for rows in self.read_rows(after_position, until_position, columns, page):
            yield [RecordedEvent(*r) for r in rows]

    async def read_rows(
        self, after_position: int, until_position: int, columns: str, page: int = 10_000
    ) -> AsyncIterator[list[asyncpg.Record]]:
        """``columns`` of the log (``l``) joined to its events (``e``) after ``after_position``
        up to ``until_position``, in position order, page by page.

        For long reads (a projection rebuild): one cursor, in a read-only transaction on a
        connection of its own (no xid, so the sequencer's horizon does not wait for it), the
        next page fetched while the caller works on this one.
        """
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            cursor = await conn.cursor(
                f"SELECT {columns} FROM event_log l JOIN events e USING (event_id)"
                " WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position",
                after_position,
                until_position,
            )
            task = asyncio.ensure_future(cursor.fetch(page))
            try:
                while rows := await task:
                    task = asyncio.ensure_future(cursor.fetch(page))
                    yield rows
            finally:
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, *database.CONNECTION_ERRORS):
                    await task

    async def _read_log(
        self, after: int, limit: int, topics: list[str] | None
    ) -> list[RecordedEvent]:
        # The log in position order, each event fetched by its key (LIMIT 1 keeps the lateral
        # from being flattened into a join): a plan made while the tables were small, and
        # cached for the connection's life, once hash-joined a full scan of events into every
        # page; this shape leaves the planner no such choice.
        if topics is None:
            rows = await self.pool.fetch(
                f"SELECT l.position, {_COLUMNS} FROM (SELECT position, event_id FROM event_log"
                " WHERE position > $1 ORDER BY position LIMIT $2) l"
                " CROSS JOIN LATERAL (SELECT * FROM events WHERE event_id = l.event_id LIMIT 1) e"
                " ORDER BY l.position",
                after,
                limit,
            )
        else:
            rows = await self.pool.fetch(
                f"SELECT l.position, {_COLUMNS} FROM event_log l CROSS JOIN LATERAL"
                " (SELECT * FROM events WHERE event_id = l.event_id"
                " AND topic = ANY($3::text[]) LIMIT 1) e"
                " WHERE l.position > $1 ORDER BY l.position LIMIT $2",
                after,
                limit,
                topics,
            )
        return [RecordedEvent(*r) for r in rows]

    async def head(self) -> int:
        """The last position in the log (0 when empty)."""
        return await self.pool.fetchval("SELECT last_position FROM sequencer_state")

    async def wait_for(self, position: int, timeout: float = 10.0) -> None:
        """Return once the log reaches ``position``; raise TimeoutError after ``timeout``."""
        await self.sequencer.wait_until(
            lambda c: c.position >= position,
            timeout,
            f"position {position}",
            pause=self.settings.poll_interval,
        )

    async def subscribe(
        self, after_position: int = 0, topics: Sequence[str] | None = None, batch: int = 500
    ) -> AsyncIterator[RecordedEvent]:
        """Every logged event after ``after_position``, then new ones as they are logged.

        Woken by NOTIFY, polling every ``poll_interval`` when no notice comes, and riding out
        dropped connections: it resumes from the last position it yielded.
        """
        position = after_position
        delay = 0.05
        while True:
            token = self.progress.token()
            logged_before = self.sequencer.cursor.position
            try:
                events = await self.read_all(position, batch, topics)
            except database.CONNECTION_ERRORS as error:
                log.warning("subscription read failed (%s); retrying in %.2fs", error, delay)
                # The server may have dropped every pooled connection: replace them all.
                await self.expire_connections()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.05
            for event in events:
                assert event.position is not None
                position = event.position
                yield event
            if len(events) < batch:
                # Everything logged before the read was seen by it, matching or not.
                position = max(position, logged_before)
                await self.progress.wait(self.settings.poll_interval, token)

    # -- health and audit ------------------------------------------------------------------

    async def lag(self) -> Lag:
        """The sequencer's lag: events committed but not yet logged, and the oldest's age."""
        return await self.sequencer.lag()

    async def verify_chain(
        self, from_position: int = 1, to_position: int | None = None
    ) -> ChainReport:
        """Recompute content and chain hashes over a range of the log."""
        return await verify_chain(self.pool, from_position, to_position)


@contextlib.asynccontextmanager
async def open_store(dsn: str, settings: Settings) -> AsyncIterator[EventStore]:
    """A migrated, open event store for as long as the block runs."""
    await migrate_database(dsn, settings)
    store = await EventStore.open(dsn, settings)
    try:
        yield store
    finally:
        await store.close()
