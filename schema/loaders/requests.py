"""Rows of the ``requests`` projection by tracking number (unscoped: resolvers check scope).

``tracked_loader`` reads a request with its timeline in the same statement (one round trip
instead of two), for a query that asks for both. The timeline comes as one array of row values
sorted once (an ``array_agg … ORDER BY`` per column sorted the entries once per column).

A batch of one key, the usual case, is read with ``= $1`` rather than ``= ANY($1)``: with the
array, PostgreSQL planned the prepared statement again on every run (``pg_prepared_statements``:
0 generic plans in 12 runs, as its generic plan, which must expect several numbers, looks
costlier than a custom one), which doubled the statement's time; with ``= $1`` it keeps the
generic plan from the sixth run on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

from khidma.core.events.lending import Statements

from .loader import Loader

_WHERE = ("tracking_number = $1", "tracking_number = ANY($1::text[])")  # one key, several
SELECT = tuple(f"SELECT * FROM requests WHERE {where}" for where in _WHERE)

TIMELINE = ("at", "event", "text_ar", "text_en", "actor_role", "centre")
WITH_TIMELINE = tuple(
    "SELECT r.*, t.entries FROM requests r LEFT JOIN LATERAL (SELECT array_agg(("
    + ", ".join(TIMELINE)
    + ") ORDER BY version) AS entries FROM request_timeline WHERE request_id = r.request_id)"
    f" t ON true WHERE r.{where}"
    for where in _WHERE
)

Tracked = tuple[asyncpg.Record, list[tuple[Any, ...]]]


async def _fetch(
    pool: Statements, sql: tuple[str, ...], numbers: Sequence[str]
) -> list[asyncpg.Record]:
    if len(numbers) == 1:
        return await pool.fetch(sql[0], numbers[0])
    return await pool.fetch(sql[1], list(numbers))


def request_loader(pool: Statements) -> DataLoader[str, asyncpg.Record | None]:
    async def load(numbers: Sequence[str]) -> list[asyncpg.Record | None]:
        found = {r["tracking_number"]: r for r in await _fetch(pool, SELECT, numbers)}
        return [found.get(n) for n in numbers]

    return Loader(load_fn=load)


def tracked_loader(pool: Statements) -> DataLoader[str, Tracked | None]:
    """A request's row and its timeline rows (oldest first), by tracking number."""

    async def load(numbers: Sequence[str]) -> list[Tracked | None]:
        found = {
            r["tracking_number"]: (r, timeline(r))
            for r in await _fetch(pool, WITH_TIMELINE, numbers)
        }
        return [found.get(n) for n in numbers]

    return Loader(load_fn=load)


def timeline(row: asyncpg.Record) -> list[tuple[Any, ...]]:
    """The timeline aggregated into ``row``: each entry's values in ``TIMELINE`` order."""
    return row["entries"] or []
