"""Idempotency: each command's key and result, written in the same statement as its events.

A retry with the same key (a flaky 3G link at a centre) finds the first result and writes
nothing: the key's primary key makes a concurrent duplicate fail the whole statement.
"""

from __future__ import annotations

import asyncpg

from .records import CommandRecord

COMMANDS_KEY = "commands_pkey"


async def command_result(
    conn: asyncpg.Pool | asyncpg.Connection, idempotency_key: str
) -> CommandRecord | None:
    row = await conn.fetchrow(
        "SELECT idempotency_key, command, actor_id, result FROM commands"
        " WHERE idempotency_key = $1",
        idempotency_key,
    )
    return None if row is None else CommandRecord(*row)


async def record_command(conn: asyncpg.Pool | asyncpg.Connection, command: CommandRecord) -> bool:
    """Record a command that wrote no events; False if its key was already recorded."""
    written = await conn.fetchval(
        "INSERT INTO commands (idempotency_key, command, actor_id, result)"
        " VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (idempotency_key) DO NOTHING RETURNING 1",
        *command.arguments(),
    )
    return written is not None
