"""Migrations: versioned, applied once, safe when processes start together."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from khidma.core.config import Settings
from khidma.core.events import MigrationError
from khidma.core.events.migrate import available, migrate

pytestmark = pytest.mark.store


async def test_processes_starting_together_apply_each_migration_once(settings: Settings) -> None:
    assert settings.database_url
    conns = [await asyncpg.connect(settings.database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c, settings.db_schema) for c in conns))
        applied = [name for result in results for name in result]
        assert sorted(applied) == sorted(name for _, name, _ in available())
        versions = await conns[0].fetch(
            f'SELECT version FROM "{settings.db_schema}".schema_version ORDER BY version'
        )
        assert [r[0] for r in versions] == [v for v, _, _ in available()]
        assert await migrate(conns[0], settings.db_schema) == []
    finally:
        for conn in conns:
            await conn.close()


async def test_a_newer_schema_is_refused(settings: Settings) -> None:
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    try:
        await migrate(conn, settings.db_schema)
        await conn.execute(
            f'INSERT INTO "{settings.db_schema}".schema_version (version, name) VALUES (9999, $1)',
            "9999_from_the_future.sql",
        )
        with pytest.raises(MigrationError, match="9999"):
            await migrate(conn, settings.db_schema)
    finally:
        await conn.close()


def test_migrations_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in available()]
    assert versions == list(range(1, len(versions) + 1))
