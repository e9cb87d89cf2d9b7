"""The composition root: wires the database, the store and (later) plugins and workers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from .config import Settings
from .events import database
from .events.migrate import migrate
from .events.store import EventStore


async def migrate_database(dsn: str, settings: Settings) -> list[str]:
    """Apply pending migrations to the configured schema; return what was applied."""
    conn = await database.connect(dsn, settings)
    try:
        return await migrate(conn, settings.db_schema)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def open_store(dsn: str, settings: Settings) -> AsyncIterator[EventStore]:
    """A migrated, open event store for as long as the block runs."""
    await migrate_database(dsn, settings)
    store = await EventStore.open(dsn, settings)
    try:
        yield store
    finally:
        await store.close()
