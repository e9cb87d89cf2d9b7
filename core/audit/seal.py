"""The sealer: signs a checkpoint over the log every N events or T seconds.

One process seals at a time (a session advisory lock). A pass continues the Merkle tree from
the last checkpoint's frontier over the newer log entries, after checking that they are
contiguous and that their chain hashes follow, signs (size, root, time), stores the checkpoint,
then writes it outside the database (``checkpoints.Publisher``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from ..config import Settings
from ..events import CONNECTION_ERRORS, EventStore
from ..events.hashing import GENESIS, chain_hash
from ..events.locks import lock_key
from . import checkpoints
from .checkpoints import Checkpoint, Publisher, from_us, to_us
from .merkle import Frontier, frontier_from_bytes, leaf_hash
from .signing import Signer

log = logging.getLogger(__name__)

_PAGE = 20_000


class SealError(RuntimeError):
    """The log cannot be sealed as it is: the named position is not what the chain says."""


class Sealer:
    def __init__(
        self,
        store: EventStore,
        settings: Settings,
        signer: Signer,
        publisher: Publisher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._pool = store.pool
        self._every = settings.checkpoint_every
        self._interval = settings.checkpoint_interval
        self._signer = signer
        self._publisher = publisher or Publisher(settings)
        self._clock = clock
        self._lock_key = lock_key(settings.db_schema, "audit-seal")
        self.last_size = 0
        self.last_signed: datetime | None = None

    async def seal_once(self, force: bool = False, size: int | None = None) -> Checkpoint | None:
        """Seal the log if a checkpoint is due (or ``force``); None if none was made.

        ``size`` seals the first ``size`` entries rather than the whole log. Also None when
        another process holds the sealer's lock. Unpublished checkpoints are written outside
        the database either way.
        """
        made: Checkpoint | None = None
        async with self._pool.acquire() as conn:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                try:
                    made = await self._seal(conn, force, size)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock($1)", self._lock_key)
        await self._publisher.publish_pending(self._pool)
        return made

    async def _seal(
        self, conn: asyncpg.Connection, force: bool, size_wanted: int | None
    ) -> Checkpoint | None:
        last = await checkpoints.latest(conn)
        if last is not None:
            self.last_size, self.last_signed = last.size, last.signed_at
        size = last.size if last else 0
        head = await conn.fetchval("SELECT last_position FROM sequencer_state")
        if size_wanted is not None:
            head = min(head, size_wanted)
        if head <= size or not (force or self._due(head)):
            return None
        frontier, previous = Frontier(), GENESIS
        if last is not None:
            frontier = frontier_from_bytes(last.size, last.frontier)
            if frontier.root() != last.root:
                raise SealError(f"checkpoint {last.size}: its frontier does not give its root")
            previous = await conn.fetchval(
                "SELECT chain_hash FROM event_log WHERE position = $1", last.size
            )
            if previous is None:
                raise SealError(f"position {last.size} (the last checkpoint) is missing")
        position = size
        while position < head:
            rows = await conn.fetch(
                "SELECT l.position, e.content_hash, l.chain_hash"
                " FROM event_log l LEFT JOIN events e USING (event_id)"
                " WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position LIMIT $3",
                position,
                head,
                _PAGE,
            )
            if not rows:
                raise SealError(f"position {position + 1} is missing")
            for at, content, stored_chain in rows:
                position += 1
                if at != position:
                    raise SealError(f"position {position} is missing")
                if content is None or chain_hash(previous, content) != stored_chain:
                    raise SealError(f"position {position}: chain hash does not follow")
                previous = stored_chain
                frontier.append(leaf_hash(content))
        signed_us = to_us(self._clock())
        root = frontier.root()
        made = Checkpoint(
            size=head,
            root=root,
            signed_at=from_us(signed_us),
            signature=self._signer.sign(head, root, signed_us),
            key_id=self._signer.key_id,
            frontier=b"".join(frontier.stack),
        )
        await checkpoints.insert(conn, made)
        self.last_size, self.last_signed = made.size, made.signed_at
        log.info("sealed checkpoint %d (root %s)", made.size, root.hex()[:16])
        return made

    def _due(self, head: int) -> bool:
        if head - self.last_size >= self._every or self.last_signed is None:
            return True
        return (self._clock() - self.last_signed).total_seconds() >= self._interval

    async def run_forever(self) -> None:
        """The background loop of ``khidma serve``: seal when N events or T seconds are due.

        Between passes it waits for the log to move (no query while nothing is due).
        """
        while True:
            made = None
            try:
                made = await self.seal_once()
            except SealError as error:
                log.error("not sealing: %s (run khidma audit verify)", error)
            except (asyncpg.PostgresError, *CONNECTION_ERRORS) as error:
                log.warning("sealing failed (%s); retrying", error)
                await self._pool.expire_connections()
            if made is None:
                # Nothing was due, or another process seals: look again a little later at most.
                await asyncio.sleep(min(self._interval, 1.0))
                await self._refresh()
            await self._wait_until_due()

    async def _refresh(self) -> None:
        """Learn the last checkpoint, which another process may have made."""
        with contextlib.suppress(asyncpg.PostgresError, *CONNECTION_ERRORS):
            last = await checkpoints.latest(self._pool)
            if last is not None:
                self.last_size, self.last_signed = last.size, last.signed_at

    async def _wait_until_due(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._interval
        progress = self._store.progress
        while (remaining := deadline - loop.time()) > 0:
            token = progress.token()
            if self._store.sequencer.cursor.position - self.last_size >= self._every:
                return
            await progress.wait(remaining, token)
