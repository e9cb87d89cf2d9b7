"""Shared fixtures: a real PostgreSQL (embedded by default) and a fresh schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.core.events.embedded import embedded_postgres


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``KHIDMA_TEST_DATABASE_URL`` if set, else an embedded PostgreSQL for this test run."""
    url = os.environ.get("KHIDMA_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_postgres(Path(tmp_path_factory.mktemp("pg")) / "pgdata") as url:
        yield url


@pytest.fixture
async def settings(database_url: str) -> AsyncIterator[Settings]:
    """Settings with a schema of this test's own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield Settings(database_url=database_url, db_schema=schema, pool_max_size=30)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[EventStore]:
    assert settings.database_url
    async with open_store(settings.database_url, settings) as opened:
        yield opened
