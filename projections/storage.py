"""Where projections keep their tables: creation, the state row, the swap after a rebuild.

``projection_state`` holds, per projection, the version of its live tables and the error that
stopped it, if any; its position is the ``tracking`` row of tracker ``projection:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from khidma.core.events.locks import lock_key

from .projection import NEXT, Projection, Tables

UPSTREAM = "log"
_STATE = """
CREATE TABLE IF NOT EXISTS projection_state (
    name           text        PRIMARY KEY,
    version        integer     NOT NULL,
    error          text,
    error_position bigint,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


def tracker(projection: Projection, suffix: str = "") -> str:
    """The tracking row of a projection's live tables (or of the ones being rebuilt)."""
    return f"projection:{projection.name}{suffix}"


@dataclass(frozen=True, slots=True)
class State:
    version: int
    position: int
    error: str | None
    error_position: int | None


async def _ddl_lock(conn: asyncpg.Connection, schema: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(schema, "projections:ddl"))


async def ensure(conn: asyncpg.Connection, schema: str, projection: Projection) -> State:
    """Create the projection's live tables and tracking row if missing; return its state."""
    async with conn.transaction():
        await _ddl_lock(conn, schema)
        await conn.execute(_STATE)
        row = await conn.fetchrow(
            "SELECT version, error, error_position FROM projection_state WHERE name = $1",
            projection.name,
        )
        if row is None:
            for statement in projection.create_statements(projection.tables()):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO projection_state (name, version) VALUES ($1, $2)",
                projection.name,
                projection.version,
            )
        await conn.execute(
            "INSERT INTO tracking (tracker, upstream, position) VALUES ($1, $2, 0)"
            " ON CONFLICT DO NOTHING",
            tracker(projection),
            UPSTREAM,
        )
        return await state(conn, projection)


async def state(conn: asyncpg.Connection | asyncpg.Pool, projection: Projection) -> State:
    row = await conn.fetchrow(
        "SELECT s.version, s.error, s.error_position, coalesce(t.position, 0) AS position"
        " FROM projection_state s LEFT JOIN tracking t ON t.tracker = $2 AND t.upstream = $3"
        " WHERE s.name = $1",
        projection.name,
        tracker(projection),
        UPSTREAM,
    )
    assert row is not None, f"projection {projection.name} has no state row"
    return State(row["version"], row["position"], row["error"], row["error_position"])


async def record_error(
    conn: asyncpg.Connection | asyncpg.Pool, projection: Projection, error: str, position: int
) -> None:
    await conn.execute(
        "UPDATE projection_state SET error = $2, error_position = $3,"
        " updated_at = clock_timestamp() WHERE name = $1",
        projection.name,
        error,
        position,
    )


async def clear_error(conn: asyncpg.Connection | asyncpg.Pool, projection: Projection) -> None:
    await conn.execute(
        "UPDATE projection_state SET error = NULL, error_position = NULL,"
        " updated_at = clock_timestamp() WHERE name = $1 AND error IS NOT NULL",
        projection.name,
    )


async def create_next(conn: asyncpg.Connection, schema: str, projection: Projection) -> Tables:
    """Fresh, empty ``<table>_next`` tables and a tracking row at 0 for them."""
    tables = projection.tables(NEXT)
    async with conn.transaction():
        await _ddl_lock(conn, schema)
        for name in tables.values():
            await conn.execute(f"DROP TABLE IF EXISTS {name}")
        for statement in projection.create_statements(tables, indexes=False):
            await conn.execute(statement)
        await conn.execute(
            "INSERT INTO tracking (tracker, upstream, position) VALUES ($1, $2, 0)"
            " ON CONFLICT (tracker, upstream) DO UPDATE SET position = 0",
            tracker(projection, NEXT),
            UPSTREAM,
        )
    return tables


async def add_indexes(conn: asyncpg.Connection, projection: Projection) -> None:
    """The rebuilt tables' indexes, built once they are full (faster than row by row)."""
    for statement in projection.index_statements(projection.tables(NEXT)):
        await conn.execute(statement)


async def lock_live(conn: asyncpg.Connection, projection: Projection) -> int:
    """Inside a transaction: hold the live tracking row (waits out a running batch)."""
    position = await conn.fetchval(
        "SELECT position FROM tracking WHERE tracker = $1 AND upstream = $2 FOR UPDATE",
        tracker(projection),
        UPSTREAM,
    )
    return int(position or 0)


async def swap(
    conn: asyncpg.Connection, schema: str, projection: Projection, position: int
) -> None:
    """Inside a transaction holding :func:`lock_live`: the rebuilt tables become the live ones."""
    await _ddl_lock(conn, schema)
    live, rebuilt = projection.tables(), projection.tables(NEXT)
    for name in live.values():
        await conn.execute(f"DROP TABLE IF EXISTS {name}")
    for logical in live:
        await conn.execute(f"ALTER TABLE {rebuilt[logical]} RENAME TO {live[logical]}")
        # Index names keep their "_next"; give them back the live table's names.
        indexes = await conn.fetch(
            "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = $2",
            schema,
            live[logical],
        )
        for row in indexes:
            index = row["indexname"]
            if NEXT in index:
                await conn.execute(
                    f'ALTER INDEX "{index}" RENAME TO "{index.replace(NEXT, "", 1)}"'
                )
    await conn.execute(
        "UPDATE tracking SET position = $2, recorded_at = clock_timestamp()"
        " WHERE tracker = $1 AND upstream = $3",
        tracker(projection),
        position,
        UPSTREAM,
    )
    await conn.execute(
        "DELETE FROM tracking WHERE tracker = $1 AND upstream = $2",
        tracker(projection, NEXT),
        UPSTREAM,
    )
    await conn.execute(
        "UPDATE projection_state SET version = $2, error = NULL, error_position = NULL,"
        " updated_at = clock_timestamp() WHERE name = $1",
        projection.name,
        projection.version,
    )


async def checksum(conn: asyncpg.Connection, tables: Tables) -> dict[str, tuple[int, str]]:
    """Per table: its row count and an md5 over its rows, independent of their order."""
    sums: dict[str, tuple[int, str]] = {}
    for logical, name in tables.items():
        row = await conn.fetchrow(
            "SELECT count(*) AS n, coalesce(md5(string_agg(h, '' ORDER BY h)), '') AS sum"
            f" FROM (SELECT md5(x::text) AS h FROM {name} x) s"
        )
        assert row is not None
        sums[logical] = (row["n"], row["sum"])
    return sums
