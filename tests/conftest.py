"""Shared fixtures: a real PostgreSQL (embedded by default) and a fresh schema per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from hypothesis import settings as hypothesis_settings

from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.events import EventStore

from .database import new_schema_name, test_database_url

# No timing in any property: with a deadline (default 200 ms per example, and then at most
# 1 s to draw the first ten examples) a busy machine fails tests whose code is right.
hypothesis_settings.register_profile("khidma", deadline=None)
hypothesis_settings.load_profile("khidma")


@pytest.fixture(scope="session")
def database_url() -> str:
    """``KHIDMA_TEST_DATABASE_URL`` if set, else an embedded PostgreSQL for this test run."""
    return test_database_url()


@pytest.fixture
async def settings(database_url: str) -> AsyncIterator[Settings]:
    """Settings with a schema of this test's own, dropped afterwards."""
    schema = new_schema_name()
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
