"""queue_board: waiting per category, now serving per counter, the estimated wait."""

from __future__ import annotations

from datetime import date

import pytest

from khidma.core.domain.queue import Queue
from khidma.core.events import EventStore

from .helpers import catch_up
from .lifecycle import CLERK, save, syria

pytestmark = pytest.mark.projection

DAY = date(2026, 1, 4)
CATEGORIES = [("civil", "C", "الأحوال المدنية", "Civil"), ("justice", "J", "العدل", "Justice")]


async def _board(store: EventStore) -> tuple[dict[str, tuple[int, int]], dict[int, str], bool]:
    categories = {
        r["category"]: (r["waiting"], r["estimated_wait_seconds"])
        for r in await store.pool.fetch("SELECT * FROM queue_board_categories")
    }
    counters = {
        r["counter"]: r["ticket"]
        for r in await store.pool.fetch("SELECT * FROM queue_board_counters")
    }
    is_open = await store.pool.fetchval("SELECT open FROM queue_board WHERE centre = 'HMS-01'")
    return categories, counters, is_open


async def test_the_board_follows_the_day(store: EventStore) -> None:
    queue = Queue.open("HMS-01", DAY, CATEGORIES, 3, syria(DAY))
    for category, minute in (("civil", 1), ("civil", 2), ("justice", 3)):
        queue.take_ticket(category, syria(DAY, 8, minute))
    queue.call_next(1, CLERK, ["civil"], syria(DAY, 8, 4))
    queue.mark_served("C-001", [], syria(DAY, 8, 10))  # six minutes
    queue.call_next(1, CLERK, ["civil"], syria(DAY, 8, 11))
    await save(store, queue)
    await catch_up(store, "queue_board")
    categories, counters, is_open = await _board(store)
    assert categories == {"civil": (0, 0), "justice": (1, 360)}
    assert counters == {1: "C-002"} and is_open

    queue.close(syria(DAY, 15))
    await save(store, queue)
    await catch_up(store, "queue_board")
    categories, counters, is_open = await _board(store)
    assert categories["justice"] == (0, 0) and counters == {1: "C-002"} and not is_open


async def test_a_new_day_replaces_the_board(store: EventStore) -> None:
    yesterday = Queue.open("HMS-01", DAY, CATEGORIES, 3, syria(DAY))
    yesterday.take_ticket("civil", syria(DAY, 9))
    today = Queue.open("HMS-01", date(2026, 1, 5), CATEGORIES[:1], 2, syria(date(2026, 1, 5)))
    await save(store, yesterday, today)
    await catch_up(store, "queue_board")
    categories, counters, is_open = await _board(store)
    assert categories == {"civil": (0, 0)} and counters == {} and is_open
