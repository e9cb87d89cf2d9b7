"""Versioned SQL migrations, applied in order under an advisory lock."""

from __future__ import annotations

import re
from importlib import resources

import asyncpg

from ..config import Settings
from . import database
from .errors import MigrationError
from .locks import lock_key

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with khidma, in order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(conn: asyncpg.Connection, schema: str) -> list[str]:
    """Bring ``schema`` up to date; return the names of the migrations applied now.

    Two processes starting at once serialise on the advisory lock; the second finds nothing to do.
    """
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(schema, "migrate"))
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET LOCAL search_path TO "{schema}"')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_version")}
        shipped = available()
        newest = max((v for v, _, _ in shipped), default=0)
        if done and max(done) > newest:
            raise MigrationError(
                f"schema {schema!r} is at version {max(done)}, newer than this khidma ({newest})"
            )
        for version, name, sql in shipped:
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_version (version, name) VALUES ($1, $2)", version, name
            )
            applied_now.append(name)
    return applied_now


async def migrate_database(dsn: str, settings: Settings) -> list[str]:
    """Apply pending migrations to the configured schema; return what was applied."""
    conn = await database.connect(dsn, settings)
    try:
        return await migrate(conn, settings.db_schema)
    finally:
        await conn.close()
