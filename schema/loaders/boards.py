"""A centre's queue board (``queue_board`` with its categories and counters) by centre code."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from strawberry.dataloader import DataLoader

from khidma.core.events.lending import Statements

from .loader import Loader

_BOARDS = "SELECT * FROM queue_board WHERE centre = ANY($1::text[])"
_CATEGORIES = (
    "SELECT * FROM queue_board_categories WHERE centre = ANY($1::text[]) ORDER BY centre, prefix"
)
_COUNTERS = (
    "SELECT * FROM queue_board_counters WHERE centre = ANY($1::text[]) ORDER BY centre, counter"
)


@dataclass
class BoardRows:
    board: asyncpg.Record
    categories: list[asyncpg.Record] = field(default_factory=list)
    counters: list[asyncpg.Record] = field(default_factory=list)


async def read_boards(conn: Statements, centres: Sequence[str]) -> dict[str, BoardRows]:
    """The boards of these centres (those with a queue), in three statements."""
    codes = list(centres)
    found = {r["centre"]: BoardRows(r) for r in await conn.fetch(_BOARDS, codes)}
    if found:
        grouped: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in await conn.fetch(_CATEGORIES, list(found)):
            grouped[row["centre"]].append(row)
        counters: dict[str, list[asyncpg.Record]] = defaultdict(list)
        for row in await conn.fetch(_COUNTERS, list(found)):
            counters[row["centre"]].append(row)
        for code, rows in found.items():
            rows.categories = grouped[code]
            rows.counters = counters[code]
    return found


def board_loader(pool: Statements) -> DataLoader[str, BoardRows | None]:
    async def load(centres: Sequence[str]) -> list[BoardRows | None]:
        found = await read_boards(pool, centres)
        return [found.get(c) for c in centres]

    return Loader(load_fn=load)
