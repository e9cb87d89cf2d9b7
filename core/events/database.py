"""Connections: the asyncpg pool khidma's store uses, and where the database is."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ..config import Settings

# What a dropped connection looks like from asyncpg; InternalClientError is what a pooled
# connection that the server terminated while it sat idle raises on its next use.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def application_name(settings: Settings) -> str:
    """How khidma's connections name themselves in ``pg_stat_activity``."""
    return f"khidma/{settings.db_schema}"[:63]


def server_settings(settings: Settings) -> dict[str, str]:
    """Session settings for every khidma connection."""
    return {
        "search_path": settings.db_schema,
        # Names the schema too: several khidmas may share a server (and an operator a view).
        "application_name": application_name(settings),
        # A forgotten open transaction would hold the sequencer's horizon back for everyone.
        "idle_in_transaction_session_timeout": str(settings.idle_in_transaction_timeout_ms),
        "jit": "off",
    }


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary: arrays of jsonb (a batch's metadata and results) then go out as length-prefixed
    # values, not as text arrays that quote and escape every character.
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        format="binary",
    )


_JSONB_VERSION = b"\x01"  # the first byte of jsonb's binary form; the JSON text follows


def _encode_jsonb(value: Any) -> bytes:
    if isinstance(value, bytes):
        return _JSONB_VERSION + value
    return _JSONB_VERSION + orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(memoryview(data)[1:])


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Skip asyncpg's session reset (a second round trip on every release).

    Safe because pool connections carry no session state: khidma sets only transaction-level
    settings and advisory locks, LISTENs on its own connection, and asyncpg still rolls back
    an open transaction and drops listeners before a connection goes back to the pool.
    """


async def connect(dsn: str, settings: Settings) -> asyncpg.Connection:
    """One connection with khidma's session settings (for LISTEN and migrations)."""
    conn = await asyncpg.connect(dsn, server_settings=server_settings(settings))
    await _init_connection(conn)
    return conn


async def create_pool(dsn: str, settings: Settings) -> asyncpg.Pool:
    """The shared pool; every connection has khidma's session settings and a jsonb codec."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        server_settings=server_settings(settings),
        init=_init_connection,
        reset=_keep_session,
    )
    assert pool is not None
    return pool
