"""The sequencer: gives committed events their contiguous, chained log positions.

At most one runs at a time across all processes (an advisory lock inside ``sequence_events``).
Any process may run it: the server's background loop, a writer waiting to read its own
write, or a reader that finds the log behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from .database import CONNECTION_ERRORS
from .locks import channel, lock_key
from .notify import Signal

log = logging.getLogger(__name__)

_REMEMBERED = 100_000


@dataclass(frozen=True, slots=True, order=True)
class Cursor:
    """How far the log reaches: the last sequenced (tx_id, event_id) and its position."""

    tx_id: int = 0
    event_id: int = 0
    position: int = 0

    @classmethod
    def parse(cls, payload: str) -> Cursor | None:
        """Read a ``position:tx:event_id`` NOTIFY payload."""
        try:
            position, tx, event_id = payload.split(":")
            return cls(int(tx), int(event_id), int(position))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Lag:
    """Events committed but not yet in the log, and how long the oldest has waited."""

    events: int
    seconds: float


class Sequencer:
    def __init__(self, pool: asyncpg.Pool, schema: str, batch: int, progress: Signal) -> None:
        self._pool = pool
        self._lock_key = lock_key(schema, "sequencer")
        self._channel = channel(schema)
        self._batch = batch
        self._progress = progress
        self._running = asyncio.Lock()
        self.cursor = Cursor()
        # tx_id -> the position of its first event, for the transactions this process logged
        # lately: a writer learns its positions from the pass, without another query.
        self.first_positions: OrderedDict[int, int] = OrderedDict()

    def advance(self, cursor: Cursor) -> None:
        """Move the known cursor forward (never back) and wake whoever waits on it.

        Only a move wakes anyone: a reader at the end of the log runs a pass that logs
        nothing, and woken by it, would read and pass again at once, without end.
        """
        if cursor > self.cursor:
            self.cursor = cursor
            self._progress.fire()

    async def run_once(self, unless: Callable[[Cursor], bool] | None = None) -> int | None:
        """One pass: the number of events logged, or None if another process is sequencing.

        With ``unless``, skip the pass when the log already satisfies it: concurrent waiters
        in one process share a pass instead of queueing for their own.
        """
        async with self._running:
            if unless is not None and unless(self.cursor):
                return 0
            row = await self._pool.fetchrow(
                "SELECT * FROM sequence_events($1, $2, $3)",
                self._lock_key,
                self._batch,
                self._channel,
            )
        if row is None:
            return None
        self.absorb(
            row["txs"], row["firsts"], row["last_tx"], row["last_event_id"], row["last_position"]
        )
        return row["sequenced"]

    def absorb(
        self, txs: list[str], firsts: list[int], last_tx: str, last_event_id: int, position: int
    ) -> None:
        """Take in what a pass logged (here, or in the writer's append_events procedure)."""
        for tx, first in zip(txs, firsts, strict=True):
            self.first_positions.setdefault(int(tx), first)
        while len(self.first_positions) > _REMEMBERED:
            self.first_positions.popitem(last=False)
        self.advance(Cursor(int(last_tx), last_event_id, position))

    @property
    def pass_arguments(self) -> tuple[int, int, str]:
        """(lock key, batch limit, NOTIFY channel) of a pass, for SQL that runs one itself."""
        return self._lock_key, self._batch, self._channel

    async def run_until_idle(self) -> int:
        """Pass after pass until nothing more is below the horizon."""
        total = 0
        while True:
            done = await self.run_once()
            if not done:
                return total
            total += done
            if done < self._batch:
                return total

    async def wait_past(self, target: tuple[int, int], timeout: float) -> None:
        """Return once the log holds the event ``target`` (tx_id, event_id); drive it if needed."""
        await self.wait_until(
            lambda c: (c.tx_id, c.event_id) >= target, timeout, f"event {target}", pause=0.002
        )

    async def wait_until(
        self, reached: Callable[[Cursor], bool], timeout: float, what: str, pause: float
    ) -> None:
        """Run passes until the log is ``reached``; between fruitless ones, wait up to ``pause``.

        A pass logs nothing when another process is sequencing, or when an older transaction
        holds the horizon; a NOTIFY or a local append wakes the wait early.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not reached(self.cursor):
            token = self._progress.token()
            done = await self.run_once(unless=reached)
            if reached(self.cursor):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{what} not in the log within {timeout}s")
            if not done:
                await self._progress.wait(min(remaining, pause), token)

    async def lag(self) -> Lag:
        row = await self._pool.fetchrow(
            "SELECT count(*) AS events,"
            " coalesce(extract(epoch FROM clock_timestamp() - min(e.recorded_at)), 0) AS seconds"
            " FROM events e, sequencer_state s"
            " WHERE (e.tx_id, e.event_id) > (s.last_tx, s.last_event_id)"
        )
        assert row is not None
        return Lag(events=row["events"], seconds=float(row["seconds"]))

    async def run_forever(self, interval: float, wake: Signal) -> None:
        """The background loop of ``khidma serve``: on every local append, else every interval."""
        while True:
            try:
                await self.run_until_idle()
            except (asyncpg.PostgresError, *CONNECTION_ERRORS) as error:
                log.warning("sequencer pass failed (%s); retrying", error)
                await self._pool.expire_connections()
            await wake.wait(interval)
