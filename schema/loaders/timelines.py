"""A request's timeline (``request_timeline`` rows, oldest first) by request id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from khidma.core.events.lending import Statements

from .loader import Loader

SELECT = (
    "SELECT * FROM request_timeline WHERE request_id = ANY($1::uuid[]) ORDER BY request_id, version"
)


def timeline_loader(pool: Statements) -> DataLoader[UUID, list[asyncpg.Record]]:
    async def load(ids: Sequence[UUID]) -> list[list[asyncpg.Record]]:
        grouped: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
        for row in await pool.fetch(SELECT, list(ids)):
            grouped[row["request_id"]].append(row)
        return [grouped.get(i, []) for i in ids]

    return Loader(load_fn=load)
