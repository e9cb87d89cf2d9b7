"""Rows of the ``requests`` projection by tracking number (unscoped: resolvers check scope).

``tracked_loader`` reads a request with its timeline in the same statement (one round trip
instead of two), for a query that asks for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg
from strawberry.dataloader import DataLoader

SELECT = "SELECT * FROM requests WHERE tracking_number = ANY($1::text[])"

_TIMELINE = ("at", "event", "text_ar", "text_en", "actor_role", "centre")
WITH_TIMELINE = (
    "SELECT r.*, "
    + ", ".join(f"t.{c}s" for c in _TIMELINE)
    + " FROM requests r LEFT JOIN LATERAL (SELECT "
    + ", ".join(f"array_agg({c} ORDER BY version) AS {c}s" for c in _TIMELINE)
    + " FROM request_timeline WHERE request_id = r.request_id) t ON true"
    " WHERE r.tracking_number = ANY($1::text[])"
)

Tracked = tuple[asyncpg.Record, list[dict[str, Any]]]


def request_loader(pool: asyncpg.Pool) -> DataLoader[str, asyncpg.Record | None]:
    async def load(numbers: Sequence[str]) -> list[asyncpg.Record | None]:
        rows = await pool.fetch(SELECT, list(numbers))
        found = {r["tracking_number"]: r for r in rows}
        return [found.get(n) for n in numbers]

    return DataLoader(load_fn=load)


def tracked_loader(pool: asyncpg.Pool) -> DataLoader[str, Tracked | None]:
    """A request's row and its timeline rows (oldest first), by tracking number."""

    async def load(numbers: Sequence[str]) -> list[Tracked | None]:
        found = {
            r["tracking_number"]: (r, timeline(r))
            for r in await pool.fetch(WITH_TIMELINE, list(numbers))
        }
        return [found.get(n) for n in numbers]

    return DataLoader(load_fn=load)


def timeline(row: asyncpg.Record) -> list[dict[str, Any]]:
    """The timeline rows aggregated into ``row`` (the columns of ``request_timeline`` read)."""
    if row["ats"] is None:
        return []
    columns = [row[f"{c}s"] for c in _TIMELINE]
    return [
        {"request_id": row["request_id"], **dict(zip(_TIMELINE, values, strict=True))}
        for values in zip(*columns, strict=True)
    ]
