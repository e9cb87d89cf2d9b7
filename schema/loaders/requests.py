"""Rows of the ``requests`` projection by tracking number (unscoped: resolvers check scope)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from strawberry.dataloader import DataLoader

SELECT = "SELECT * FROM requests WHERE tracking_number = ANY($1::text[])"


def request_loader(pool: asyncpg.Pool) -> DataLoader[str, asyncpg.Record | None]:
    async def load(numbers: Sequence[str]) -> list[asyncpg.Record | None]:
        rows = await pool.fetch(SELECT, list(numbers))
        found = {r["tracking_number"]: r for r in rows}
        return [found.get(n) for n in numbers]

    return DataLoader(load_fn=load)
