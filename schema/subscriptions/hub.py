"""One LISTEN per process: projection notices fan out to every subscriber in the process.

The projection runners NOTIFY ``khidma_projections_<schema>`` with ``<name>:<position>``
after each batch. On a ``request_timeline`` notice the hub asks once which requests changed
since the last notice (an index scan of ``request_timeline.position``) and wakes just their
subscribers; on a ``queue_board`` notice it reads every watched board at once (three
statements, however many centres and subscribers) and hands each subscriber its board.
Subscribers never poll the database themselves; while the LISTEN connection is down they
are woken every ``poll_interval`` to look, so nothing is missed, only later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.core.events import database as db
from khidma.core.events.notify import Listener
from khidma.projections.positions import Positions

from ..loaders.boards import BoardRows, read_boards

log = logging.getLogger(__name__)

_CHANGED = "SELECT DISTINCT request_id FROM request_timeline WHERE position > $1 AND position <= $2"


class Hub:
    def __init__(
        self, store: EventStore, dsn: str, settings: Settings, positions: Positions
    ) -> None:
        self.store = store
        self.positions = positions
        self._listener = Listener(
            lambda: db.connect(dsn, settings),
            f"khidma_projections_{settings.db_schema}",
            self._notified,
        )
        self._requests: dict[UUID, set[asyncio.Queue[int]]] = defaultdict(set)
        self._boards: dict[str, set[asyncio.Queue[BoardRows | None]]] = defaultdict(set)
        self._board_lock = asyncio.Lock()
        self._timeline_seen = 0
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self.notices = 0

    async def start(self) -> None:
        self._timeline_seen = await self.positions.position("request_timeline")
        await self._listener.start()
        self._poller = asyncio.create_task(self._poll(), name="khidma-hub-poll")

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for task in list(self._tasks):
            task.cancel()
        await self._listener.close()

    @property
    def listener_pid(self) -> int | None:
        return self._listener.pid

    def _notified(self, payload: str) -> None:
        name, _, position = payload.rpartition(":")
        if not name or not position.isdigit():
            return
        self.notices += 1
        self.positions.advanced(name, int(position))
        if name == "request_timeline":
            self._spawn(self._requests_changed(int(position)))
        elif name == "queue_board":
            self._spawn(self._boards_changed())

    def _spawn(self, work: object) -> None:
        task = asyncio.create_task(work)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _requests_changed(self, position: int) -> None:
        async with self._lock:
            if position <= self._timeline_seen:
                return
            seen, self._timeline_seen = self._timeline_seen, position
            if not self._requests:
                return
            try:
                rows = await self.store.pool.fetch(_CHANGED, seen, position)
            except db.CONNECTION_ERRORS as error:
                log.warning("subscriptions: cannot read what changed (%s)", error)
                self._wake(self._requests, list(self._requests), position)
                return
        self._wake(self._requests, [r["request_id"] for r in rows], position)

    async def _boards_changed(self) -> None:
        async with self._board_lock:
            centres = list(self._boards)
            if not centres:
                return
            try:
                boards = await read_boards(self.store.pool, centres)
            except db.CONNECTION_ERRORS as error:
                log.warning("subscriptions: cannot read the queue boards (%s)", error)
                return
        for centre in centres:
            for queue in self._boards.get(centre, ()):
                queue.put_nowait(boards.get(centre))

    @staticmethod
    def _wake(table: dict, keys: list, position: int) -> None:  # type: ignore[type-arg]
        for key in keys:
            for queue in table.get(key, ()):
                queue.put_nowait(position)

    async def _poll(self) -> None:
        """While LISTEN is down, wake everyone now and then (they re-read and compare)."""
        while True:
            await asyncio.sleep(self.store.settings.poll_interval)
            if self._listener.pid is None:
                self._wake(self._requests, list(self._requests), 0)
                self._spawn(self._boards_changed())

    @contextlib.asynccontextmanager
    async def request(self, request_id: UUID) -> AsyncIterator[asyncio.Queue[int]]:
        """A queue of positions at which this request changed, while the block runs."""
        async with self._watch(self._requests, request_id) as queue:
            yield queue

    @contextlib.asynccontextmanager
    async def board(self, centre: str) -> AsyncIterator[asyncio.Queue[BoardRows | None]]:
        """A queue of the centre's board, each time the queue_board projection moves."""
        async with self._watch(self._boards, centre) as queue:
            yield queue

    @contextlib.asynccontextmanager
    async def _watch(self, table: dict, key: object) -> AsyncIterator[asyncio.Queue[Any]]:  # type: ignore[type-arg]
        queue: asyncio.Queue[Any] = asyncio.Queue()
        table[key].add(queue)
        try:
            yield queue
        finally:
            table[key].discard(queue)
            if not table[key]:
                del table[key]
