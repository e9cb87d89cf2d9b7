"""A projection that records which process applied each position, slowly, for the process tests.

Run as ``python -m tests.projections.probe DSN SCHEMA LOG`` it follows the log with a runner;
every batch first appends ``<pid> <first position>`` to LOG, then sleeps in its transaction,
so a SIGKILL lands mid-batch.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import asyncpg

from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.projections.decoding import Decoded, Kind
from khidma.projections.projection import Projection, Tables
from khidma.projections.runner import Runner

TOPIC = "khidma.core.domain.queue:Queue.TicketRecalled"


class Probe(Projection):
    name = "probe"
    families = frozenset({"queue"})
    ddl: ClassVar[dict[str, str]] = {
        "probe": "CREATE TABLE {probe} (position bigint NOT NULL, pid integer NOT NULL)"
    }

    def __init__(self, log: Path | None = None, pause: float = 0.0) -> None:
        self.log = log
        self.pause = pause

    def wants(self, kind: Kind) -> bool:
        return True

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        await conn.copy_records_to_table(
            tables["probe"], records=[(e.position, os.getpid()) for e in events]
        )
        if self.log is not None:
            with self.log.open("a") as f:
                f.write(f"{os.getpid()} {events[0].position}\n")
        if self.pause:
            await conn.execute("SELECT pg_sleep($1)", self.pause)


async def main(dsn: str, schema: str, log: str) -> None:
    settings = Settings(database_url=dsn, db_schema=schema, pool_max_size=4, poll_interval=0.1)
    store = await EventStore.open(dsn, settings)
    runner = Runner(store, Probe(Path(log), pause=0.3), batch=10, standby_poll=0.05)
    await runner.run(until=await store.head())


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
