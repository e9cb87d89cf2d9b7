"""A rebuild's timestamptz codec: the same values in and out as asyncpg's own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from khidma.core.events import EventStore
from khidma.projections.timestamps import encode_as_usual, encode_faster

pytestmark = pytest.mark.projection

SYRIA = timezone(timedelta(hours=3))
MOMENTS: list[datetime | date] = [
    datetime(2026, 1, 4, 8, 0, 0, 577164, tzinfo=SYRIA),
    datetime(2026, 1, 4, 8, 0, 0, 577164, tzinfo=SYRIA),  # an offset seen before
    datetime(2026, 1, 4, 5, 0, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before PostgreSQL's epoch
    datetime(1969, 7, 20, 20, 17, 40, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime(2026, 1, 4, 8, 0),  # naive: local time
    datetime.max,
    datetime.min,
    datetime.max.replace(tzinfo=UTC),
    date(2026, 1, 4),
]


async def test_timestamps_are_written_and_read_as_asyncpg_does(store: EventStore) -> None:
    async with store.pool.acquire() as usual, store.pool.acquire() as faster:
        await usual.execute("CREATE TABLE moments (i int, usual timestamptz, faster timestamptz)")
        await usual.copy_records_to_table(
            "moments", records=list(enumerate(MOMENTS)), columns=["i", "usual"]
        )
        await encode_faster(faster)
        try:
            for i, moment in enumerate(MOMENTS):
                await faster.execute("UPDATE moments SET faster = $2 WHERE i = $1", i, moment)
            differ = await usual.fetch(
                "SELECT i FROM moments WHERE usual IS DISTINCT FROM faster OR faster IS NULL"
            )
            assert differ == []
            read = await faster.fetch("SELECT faster FROM moments ORDER BY i")
        finally:
            await encode_as_usual(faster)
        expected = await usual.fetch("SELECT usual FROM moments ORDER BY i")
        assert [(r[0], r[0].tzinfo) for r in read] == [(r[0], r[0].tzinfo) for r in expected]
        assert await faster.fetch("SELECT usual FROM moments ORDER BY i") == expected
