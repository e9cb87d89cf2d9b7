"""Rebuilding every projection from a log of realistic lifecycles, beside the floor of reading it.

The floor is reading the same rows (the log joined to the events, in position order) with a
plain asyncpg cursor and doing nothing with them; khidma is ``khidma replay`` of every
projection (decoding, folding, writing, building indexes, swapping in). Both run in this
process against the same database; the log is written first by benchmarks/generate.py in a
subprocess, so this process's peak memory is the rebuild's.

    .venv/bin/python benchmarks/projections.py [--events 1000000] [--database-url URL] [--keep]

The database is ``--database-url``, else ``KHIDMA_DATABASE_URL``, else a throwaway embedded
PostgreSQL. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
from append import drop_schema, logged_head, target_database

from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.projections.registry import projections
from khidma.projections.replay import rebuild

HERE = Path(__file__).resolve().parent
_FLOOR = (
    "SELECT l.position, e.event_id, e.stream_id, e.version, e.topic, e.data, e.metadata,"
    " e.recorded_at FROM event_log l JOIN events e USING (event_id) ORDER BY l.position"
)


async def floor(url: str, schema: str) -> tuple[int, float]:
    """Rows read by a plain cursor, and the seconds it took."""
    conn = await asyncpg.connect(url, server_settings={"search_path": schema, "jit": "off"})
    try:
        started = time.perf_counter()
        rows = 0
        async with conn.transaction():
            async for _ in conn.cursor(_FLOOR, prefetch=5_000):
                rows += 1
        return rows, time.perf_counter() - started
    finally:
        await conn.close()


async def replay(url: str, schema: str) -> tuple[int, float, float]:
    settings = Settings(database_url=url, db_schema=schema)
    store = await EventStore.open(url, settings)
    try:
        head = await store.head()
        started, cpu = time.perf_counter(), time.process_time()
        last = [started]

        def progress(position: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 10:
                last[0] = now
                rate = position / (now - started)
                print(f"  replay at {position:,}/{total:,} ({rate:,.0f} events/s)", flush=True)

        await rebuild(store, projections(), progress=progress)
        return head, time.perf_counter() - started, time.process_time() - cpu
    finally:
        await store.close()


async def run(url: str, schema: str, events: int) -> dict[str, object]:
    head = await logged_head(url, schema)
    if head < events:
        print(f"generating {events:,} events into {schema}…", flush=True)
        await drop_schema(url, schema)
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(HERE / "generate.py"), "--events", str(events),
             "--database-url", url, "--schema", schema],
            check=True,
        )  # fmt: skip
    floor_rows, floor_s = await floor(url, schema)
    print(f"floor: {floor_rows:,} rows in {floor_s:.1f}s ({floor_rows / floor_s:,.0f}/s)")
    replayed, replay_s, replay_cpu = await replay(url, schema)
    print(
        f"khidma replay: {replayed:,} events in {replay_s:.1f}s ({replayed / replay_s:,.0f}/s),"
        f" {replay_cpu:.1f}s of this process's CPU ({replay_cpu / replayed * 1e6:.0f} µs/event)"
    )
    floor_2, floor_2s = await floor(url, schema)  # once more: the cache was warm for both
    floor_rate = max(floor_rows / floor_s, floor_2 / floor_2s)
    rate = replayed / replay_s
    return {
        "benchmark": "projections",
        "events": replayed,
        "events_per_s": round(rate),
        "floor_per_s": round(floor_rate),
        "ratio": round(rate / floor_rate, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_us_per_event": round(replay_cpu / replayed * 1e6, 1),  # steadier than the rate
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated log (reused by the next run)"
    )
    args = parser.parse_args()
    schema = f"bench_projections_{args.events}"
    with target_database(args.database_url) as url:
        try:
            result = asyncio.run(run(url, schema, args.events))  # as `khidma replay` runs
        finally:
            if not args.keep:
                asyncio.run(drop_schema(url, schema))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
