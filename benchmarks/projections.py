"""Rebuilding every projection from a log of realistic lifecycles, beside the floor of reading it.

The floor is reading the same rows (the log joined to the events, in position order) with a
plain asyncpg cursor and doing nothing with them; khidma is ``khidma replay`` of every
projection (decoding, folding, writing, building indexes, swapping in). Both run in this
process against the same database; the log is written first by benchmarks/generate.py in a
subprocess, so this process's peak memory is the rebuild's.

    .venv/bin/python benchmarks/projections.py [--events 1000000] [--database-url URL] [--keep]
        [--live]

With ``--live``, the live runners are measured too, after the rebuild: the live tables are
emptied and every projection's runner (one ``ProjectionWorker``, as ``khidma serve`` runs them)
catches up from the start of the log, in batches as it follows new events.

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
from khidma.projections import storage
from khidma.projections.registry import projections
from khidma.projections.replay import rebuild
from khidma.projections.worker import ProjectionWorker

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


async def live(url: str, schema: str) -> tuple[int, float, float]:
    """The live runners catching up from an empty start: events, seconds and CPU seconds."""
    settings = Settings(database_url=url, db_schema=schema)
    store = await EventStore.open(url, settings)
    try:
        async with store.pool.acquire() as conn, conn.transaction():
            for projection in projections():
                for table in projection.tables().values():
                    await conn.execute(f"TRUNCATE {table}")
                await conn.execute(
                    "UPDATE tracking SET position = 0 WHERE tracker = $1 AND upstream = $2",
                    storage.tracker(projection),
                    storage.UPSTREAM,
                )
        head = await store.head()
        worker = ProjectionWorker(store)
        started, cpu = time.perf_counter(), time.process_time()
        await worker.start()
        try:
            await worker.wait_for_all(head, timeout=3600)
        finally:
            await worker.stop()
        return head, time.perf_counter() - started, time.process_time() - cpu
    finally:
        await store.close()


async def run(url: str, schema: str, events: int, with_live: bool) -> dict[str, object]:
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
    followed: dict[str, object] = {}
    if with_live:
        caught_up, live_s, live_cpu = await live(url, schema)
        print(
            f"live runners: {caught_up:,} events in {live_s:.1f}s ({caught_up / live_s:,.0f}/s),"
            f" {live_cpu / caught_up * 1e6:.0f} µs of this process's CPU per event"
        )
        followed = {
            "live_per_s": round(caught_up / live_s),
            "live_ratio": round(caught_up / live_s / floor_rate, 3),
            "live_cpu_us_per_event": round(live_cpu / caught_up * 1e6, 1),
        }
    return {
        "benchmark": "projections",
        "events": replayed,
        "events_per_s": round(rate),
        "floor_per_s": round(floor_rate),
        "ratio": round(rate / floor_rate, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_us_per_event": round(replay_cpu / replayed * 1e6, 1),  # steadier than the rate
        **followed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated log (reused by the next run)"
    )
    parser.add_argument("--live", action="store_true", help="also time the live runners")
    args = parser.parse_args()
    schema = f"bench_projections_{args.events}"
    with target_database(args.database_url) as url:
        try:
            # As `khidma replay` runs: asyncio's loop.
            result = asyncio.run(run(url, schema, args.events, args.live))
        finally:
            if not args.keep:
                asyncio.run(drop_schema(url, schema))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
