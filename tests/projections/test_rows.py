"""Rows kept across batches (a rebuild): let go when too many, written once, read back."""

from __future__ import annotations

import pytest

from khidma.core.events import EventStore
from khidma.projections.rows import Columns, RowSet

pytestmark = pytest.mark.projection

COLUMNS = Columns({"id": "integer", "status": "text", "visits": "integer"})


async def _table(store: EventStore) -> dict[int, tuple[str, int]]:
    rows = await store.pool.fetch("SELECT * FROM kept ORDER BY id")
    return {r["id"]: (r["status"], r["visits"]) for r in rows}


async def test_kept_rows_are_written_when_let_go_and_read_back_when_needed(
    store: EventStore,
) -> None:
    await store.pool.execute(
        "CREATE TABLE kept (id integer PRIMARY KEY, status text NOT NULL, visits integer NOT NULL)"
    )
    rows = RowSet("kept", COLUMNS, keep=4)
    async with store.pool.acquire() as conn:
        for i in range(1, 7):  # six new rows: the two changed longest ago are let go
            rows.put({"id": i, "status": "new", "visits": 1})
        first = rows.get(1)
        assert first is not None
        first["visits"] = 2
        rows.touch(first)  # 1 is now the most recently changed
        await rows.flush(conn)
        assert await _table(store) == {2: ("new", 1), 3: ("new", 1), 4: ("new", 1)}
        assert rows.get(2) is None and rows.get(1) is not None

        await rows.load(conn, [2, 3, 99])  # read back from the table; 99 was never there
        again = rows.get(2)
        assert again == {"id": 2, "status": "new", "visits": 1}
        again["status"] = "changed"
        rows.touch(again)
        rows.remove(3)  # stored: deleted from the table
        rows.remove(5)  # never stored: nothing to delete
        rows.remove(99)
        await rows.flush(conn)
        assert 3 not in await _table(store)
        await rows.load(conn, [5])  # known to be gone: not read again
        assert rows.get(5) is None

        await rows.load(conn, [4])
        rows.remove(4)
        rows.put({"id": 4, "status": "again", "visits": 1})  # removed and back in one batch
        await rows.flush_all(conn)
    assert await _table(store) == {
        1: ("new", 2),
        2: ("changed", 1),
        4: ("again", 1),
        6: ("new", 1),
    }


async def test_without_keep_each_flush_writes_every_change(store: EventStore) -> None:
    await store.pool.execute(
        "CREATE TABLE kept (id integer PRIMARY KEY, status text NOT NULL, visits integer NOT NULL)"
    )
    async with store.pool.acquire() as conn:
        rows = RowSet("kept", COLUMNS)
        rows.put({"id": 1, "status": "new", "visits": 1})
        rows.put({"id": 2, "status": "new", "visits": 1})
        await rows.flush(conn)
        assert await _table(store) == {1: ("new", 1), 2: ("new", 1)}
        rows = RowSet("kept", COLUMNS)  # the next batch
        await rows.load(conn, [1, 2])
        rows.remove(2)
        row = rows.get(1)
        assert row is not None
        row["visits"] += 1
        rows.touch(row)
        await rows.flush(conn)
    assert await _table(store) == {1: ("new", 2)}
