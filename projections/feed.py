"""The log as one process's runners follow it: each event read and decoded once for all of them.

The runners of a process mostly move near one another: woken by the same notice, they ask for
the events after much the same position. Reading them (the statement, a RecordedEvent per row,
the metadata's JSON) and decoding them was most of each runner's work, done again for every
projection; the feed does it once. It holds the latest ``WINDOW`` events it read and serves a
runner whose position is among them from there; a read from the database is shared by the
runners that ask for the same one while it is under way. A runner about to move the window
past another that is still in it waits for that one a moment (catching up, the quick
projections would otherwise leave the slow ones behind, and each would read everything again);
a runner that falls further behind reads on its own, as it would without the feed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from khidma.core.events import EventStore, RecordedEvent
from khidma.core.events.notify import Signal

from .decoding import Decoded, Decoder, Kind
from .projection import Projection

# Events held: several batches, so that the runners of a process share reads unless one is far
# behind the others; bounded, so the memory does not grow with the log or the lag.
WINDOW = 10_000
PACE = 1.0  # seconds a runner waits for another in the window before it goes on alone


@dataclass(frozen=True, slots=True)
class Batch:
    """Records of the log and, for each, its decoded event: None if no runner of the feed
    follows it, the exception if it could not be decoded (each runner following it stops)."""

    records: list[RecordedEvent]
    decoded: list[Decoded | Exception | None]


@dataclass(slots=True)
class _Reading:
    task: asyncio.Task[Batch]
    waiting: int = field(default=0)


class Feed:
    """Reads the log for runners following the kinds of events that ``wanted`` accepts."""

    def __init__(
        self, store: EventStore, wanted: Callable[[Kind], bool], window: int = WINDOW
    ) -> None:
        self.store = store
        self.decoder = Decoder(wanted)
        self._window = window
        self._held = Batch([], [])  # consecutive positions, the latest read
        self._reading: dict[tuple[int, int], _Reading] = {}
        self._at: dict[Hashable, int] = {}  # where each runner reading through the feed is
        self._moved = Signal()

    @classmethod
    def of(cls, store: EventStore, projections: Sequence[Projection], window: int = WINDOW) -> Feed:
        """A feed for the runners of ``projections``: the events any of them follows."""
        return cls(store, lambda kind: any(p.wants(kind) for p in projections), window)

    async def read(self, after: int, limit: int, reader: Hashable | None = None) -> Batch:
        """Up to ``limit`` records after position ``after``, decoded (an empty batch at the end
        of the log), for ``reader`` (who calls :meth:`leave` when it stops reading)."""
        if reader is not None:
            await self._pace(reader, after, limit)
        held = self._held
        if held.records:
            start = after + 1 - held.records[0].position
            if 0 <= start < len(held.records):
                end = start + limit
                return Batch(held.records[start:end], held.decoded[start:end])
        key = (after, limit)
        reading = self._reading.get(key)
        if reading is None:
            task = asyncio.get_running_loop().create_task(self._read(after, limit))
            reading = self._reading[key] = _Reading(task)
            task.add_done_callback(lambda done: self._read_done(key, done))
        reading.waiting += 1
        try:
            # Shielded: one runner giving up (a prefetch cancelled) must not cancel the others'.
            return await asyncio.shield(reading.task)
        finally:
            reading.waiting -= 1
            if not reading.waiting and not reading.task.done():
                reading.task.cancel()  # nobody waits for it any more

    def leave(self, reader: Hashable) -> None:
        """``reader`` no longer reads through the feed: nobody waits for it."""
        if self._at.pop(reader, None) is not None:
            self._moved.fire()

    async def _pace(self, reader: Hashable, after: int, limit: int) -> None:
        """Wait (up to PACE) while reading ahead would move the window past a runner in it."""
        self._at[reader] = after
        self._moved.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PACE
        while self._held.records:
            start = self._held.records[0].position
            assert start is not None
            inside = [at for at in self._at.values() if at + 1 >= start]
            if not inside or after + limit - min(inside) <= self._window:
                return
            token = self._moved.token()
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self._moved.wait(remaining, token):
                return

    async def _read(self, after: int, limit: int) -> Batch:
        records = await self.store.read_all(after, limit)
        return Batch(records, [self._decode(record) for record in records])

    def _decode(self, record: RecordedEvent) -> Decoded | Exception | None:
        try:
            return self.decoder.decode(record)
        except Exception as error:  # reported by each runner that follows the event
            return error

    def _read_done(self, key: tuple[int, int], task: asyncio.Task[Batch]) -> None:
        del self._reading[key]
        if task.cancelled() or task.exception() is not None:  # the waiters have the error
            return
        self._hold(task.result())

    def _hold(self, batch: Batch) -> None:
        """Add what was read to the events held if it goes on from them or lies ahead of them
        (what lies behind was read for a runner left behind: the others do not need it)."""
        if not batch.records:
            return
        held = self._held
        first = batch.records[0].position
        assert first is not None
        if held.records:
            last = held.records[-1].position
            assert last is not None
            if first <= last:  # overlaps: keep only what is new
                skip = last + 1 - first
                if skip >= len(batch.records):
                    return
                batch = Batch(batch.records[skip:], batch.decoded[skip:])
                first = last + 1
            if first == last + 1:
                batch = Batch(held.records + batch.records, held.decoded + batch.decoded)
        drop = max(0, len(batch.records) - self._window)
        self._held = Batch(batch.records[drop:], batch.decoded[drop:]) if drop else batch
