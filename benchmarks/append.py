"""Append throughput, side by side on one PostgreSQL: khidma vs raw asyncpg vs eventsourcing.

Each command writes 3 events of ~200 bytes to a new stream. Measured, in commands/s:

- khidma: ``EventStore.append`` then ``EventStore.sequenced`` (done = has a log position);
- raw: one ``INSERT ... SELECT FROM unnest(...)`` into a copy of khidma's ``events`` table;
- eventsourcing: its stock PostgreSQL application recorder, default mode, from threads.

    .venv/bin/python benchmarks/append.py [--quick] [--writers 1,16,64] [--seconds S]

The database is ``--database-url``, else ``KHIDMA_DATABASE_URL``, else a throwaway embedded
PostgreSQL. The last line printed is a JSON summary for 16 writers (or the nearest count).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import psycopg
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.postgres import PostgresFactory
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console
from rich.table import Table

from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.events import NewEvent
from khidma.core.events.database import create_pool, server_settings
from khidma.core.events.embedded import database_url
from khidma.core.events.migrate import available

SYSTEMS = ("khidma", "raw", "eventsourcing")
TOPICS = [f"khidma.requests:{name}" for name in ("Submitted", "FeeAssessed", "Assigned")]
DATA = [orjson.dumps({"event": t, "note": "x" * 150})[:200].ljust(200) for t in TOPICS]
EVENTS = [NewEvent(t, d) for t, d in zip(TOPICS, DATA, strict=True)]
ROWS = list(zip((1, 2, 3), TOPICS, DATA, strict=True))  # (version, topic, data)
HASHES = [os.urandom(32) for _ in TOPICS]
ACTOR = {"actor_id": "a5d1c0de-0000-4000-8000-000000000001", "actor_role": "clerk"}

# The raw floor: khidma's own events DDL, taken from its first migration so the two never differ.
_MIGRATION = available()[0][2]
if "\nCREATE TABLE event_log" not in _MIGRATION:
    raise SystemExit("benchmark: cannot find the events DDL in khidma's first migration")
EVENTS_DDL = _MIGRATION.split("\nCREATE TABLE event_log")[0]
RAW_INSERT = """
INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)
SELECT s, v, t, d, $5::jsonb, h
FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[], $6::bytea[]) AS u(s, v, t, d, h)
"""


@dataclasses.dataclass(frozen=True)
class Timing:
    warmup: float
    seconds: float


@dataclasses.dataclass(frozen=True)
class Cell:
    measured: int  # commands completed while the clock ran
    elapsed: float  # seconds the clock ran
    commands: int  # every completed command, warm-up included


def metadata() -> dict[str, str]:
    """A real command's metadata: who, where, how, and ids that differ every time."""
    ids = {"correlation_id": str(uuid.uuid4()), "idempotency_key": str(uuid.uuid4())}
    return {**ACTOR, "centre": "centre-07", "channel": "counter", **ids}


def schema_name(system: str) -> str:
    return f"bench_{system}_{uuid.uuid4().hex[:10]}"


async def drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


async def drive_tasks(writers: int, command: Callable[[], Awaitable[None]], t: Timing) -> Cell:
    """``writers`` asyncio tasks run ``command`` in a loop; count completions after warm-up."""
    done = 0
    stop = False

    async def writer() -> None:
        nonlocal done
        while not stop:
            await command()
            done += 1

    tasks = [asyncio.create_task(writer()) for _ in range(writers)]
    await asyncio.sleep(t.warmup)
    start, began = done, time.perf_counter()
    await asyncio.sleep(t.seconds)
    measured, elapsed = done - start, time.perf_counter() - began
    stop = True
    await asyncio.gather(*tasks)  # each finishes its command: nothing is left half-done
    return Cell(measured, elapsed, done)


def drive_threads(writers: int, command: Callable[[], None], t: Timing) -> Cell:
    """As :func:`drive_tasks`, with ``writers`` threads (eventsourcing is synchronous)."""
    counts = [0] * writers
    stop = threading.Event()

    def writer(slot: int) -> None:
        while not stop.is_set():
            command()
            counts[slot] += 1

    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(writer, i) for i in range(writers)]
        time.sleep(t.warmup)
        start, began = sum(counts), time.perf_counter()
        time.sleep(t.seconds)
        measured, elapsed = sum(counts) - start, time.perf_counter() - began
        stop.set()
        for future in futures:
            future.result()
    return Cell(measured, elapsed, sum(counts))


async def run_khidma(url: str, writers: int, t: Timing) -> Cell:
    schema = schema_name("khidma")
    size = writers + 2  # the writers, plus room for a sequencer pass and the positions read
    settings = Settings(database_url=url, db_schema=schema, pool_min_size=size, pool_max_size=size)
    try:
        async with open_store(url, settings) as store:

            async def command() -> None:
                appended = await store.append(uuid.uuid4(), EVENTS, 0, metadata())
                await store.sequenced(appended)

            cell = await drive_tasks(writers, command, t)
            # Correctness, cheaply: the log is exactly 1..N over every event appended.
            row = await store.pool.fetchrow(
                "SELECT count(*) AS n, coalesce(min(position), 0) AS lo,"
                " coalesce(max(position), 0) AS hi, (SELECT count(*) FROM events) AS events"
                " FROM event_log"
            )
            assert row is not None
            expected = len(EVENTS) * cell.commands
            if (row["n"], row["lo"], row["hi"], row["events"]) != (expected, 1, expected, expected):
                raise SystemExit(
                    f"khidma log check FAILED at {writers} writers: expected positions"
                    f" 1..{expected}, got {dict(row)}"
                )
            return cell
    finally:
        await drop_schema(url, schema)


async def run_raw(url: str, writers: int, t: Timing) -> Cell:
    schema = schema_name("raw")
    settings = Settings(db_schema=schema, pool_min_size=writers, pool_max_size=writers)
    try:
        conn = await asyncpg.connect(url, server_settings=server_settings(settings))
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(EVENTS_DDL)
        finally:
            await conn.close()
        # khidma's own pool factory: the same connection plumbing, without the store.
        async with await create_pool(url, settings) as pool:

            async def command() -> None:
                stream = uuid.uuid4()
                meta = orjson.dumps(metadata(), option=orjson.OPT_SORT_KEYS)  # the jsonb codec
                await pool.execute(RAW_INSERT, [stream] * 3, [1, 2, 3], TOPICS, DATA, meta, HASHES)

            return await drive_tasks(writers, command, t)
    finally:
        await drop_schema(url, schema)


def run_eventsourcing(url: str, writers: int, t: Timing) -> Cell:
    schema = schema_name("es")
    info = conninfo_to_dict(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(info.get("host") or "localhost"),  # a socket directory is fine
        "POSTGRES_PORT": str(info.get("port") or "5432"),
        "POSTGRES_USER": str(info.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(info.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(writers),
        "POSTGRES_MAX_OVERFLOW": "0",
    }
    factory: InfrastructureFactory[Any] | None = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        factory = InfrastructureFactory.construct(env)
        assert isinstance(factory, PostgresFactory)
        recorder = factory.application_recorder()
        factory.datastore.pool.wait(timeout=60)  # every connection open before the clock starts

        def command() -> None:
            stream = uuid.uuid4()
            recorder.insert_events([StoredEvent(stream, v, t, d) for v, t, d in ROWS])

        return drive_threads(writers, command, t)
    finally:
        if factory is not None:
            factory.close()
        asyncio.run(drop_schema(url, schema))


def measure(system: str, url: str, writers: int, t: Timing) -> Cell:
    if system == "khidma":
        cell = asyncio.run(run_khidma(url, writers, t))
    elif system == "raw":
        cell = asyncio.run(run_raw(url, writers, t))
    else:
        cell = run_eventsourcing(url, writers, t)
    rate = cell.measured / cell.elapsed
    print(f"  {system:>13} × {writers:>2} writers: {rate:8.0f} commands/s", file=sys.stderr)
    return cell


@contextlib.contextmanager
def target_database(given: str | None) -> Iterator[str]:
    settings = Settings.from_env()
    if given or settings.database_url:
        yield given or str(settings.database_url)
        return
    with tempfile.TemporaryDirectory(prefix="khidma-bench-") as tmp:
        embedded = dataclasses.replace(settings, pgdata=Path(tmp) / "pgdata")
        with database_url(embedded) as url:
            yield url


async def logged_head(url: str, schema: str) -> int:
    """The last logged position of a khidma schema kept from an earlier run (0 if none)."""
    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass($1)", f"{schema}.sequencer_state")
        if exists is None:
            return 0
        return int(await conn.fetchval(f"SELECT last_position FROM {schema}.sequencer_state"))
    finally:
        await conn.close()


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def show(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~2 s per cell, under a minute")
    parser.add_argument("--writers", default="1,16,64", help="comma-separated writer counts")
    parser.add_argument("--seconds", type=float, help="measured seconds per cell (default 8)")
    parser.add_argument("--rounds", type=int, help="split each cell into interleaved rounds")
    parser.add_argument("--database-url", help="default: KHIDMA_DATABASE_URL, else embedded")
    args = parser.parse_args()
    counts = [int(w) for w in args.writers.split(",")]
    seconds = args.seconds or (2.0 if args.quick else 8.0)
    rounds = args.rounds or (1 if args.quick else 2)
    timing = Timing(warmup=min(1.5, max(0.5, seconds / rounds / 4)), seconds=seconds / rounds)

    results: dict[int, dict[str, float]] = {}
    with target_database(args.database_url) as url:
        for writers in counts:
            cells: dict[str, list[Cell]] = {s: [] for s in SYSTEMS}
            # Interleaved, in a rotating order, so machine noise hits all three alike.
            for i in range(rounds):
                for system in SYSTEMS[i % 3 :] + SYSTEMS[: i % 3]:
                    cells[system].append(measure(system, url, writers, timing))
            results[writers] = {
                s: sum(c.measured for c in cs) / sum(c.elapsed for c in cs)
                for s, cs in cells.items()
            }

    title = f"append: commands/s (3 events each), {seconds:g} s per cell in {rounds} round(s)"
    table = Table(title=title)
    for column in ("writers", *SYSTEMS, "khidma/raw", "khidma/eventsourcing"):
        table.add_column(column, justify="right")
    for writers, r in results.items():
        table.add_row(
            str(writers),
            *(f"{r[s]:,.0f}" for s in SYSTEMS),
            show(ratio(r["khidma"], r["raw"])),
            show(ratio(r["khidma"], r["eventsourcing"])),
        )
    Console().print(table)
    writers = min(results, key=lambda w: abs(w - 16))
    r = results[writers]
    summary = {
        "benchmark": "append",
        "writers": writers,
        **{s: round(r[s]) for s in SYSTEMS},
        "khidma_vs_raw": ratio(r["khidma"], r["raw"]),
        "khidma_vs_eventsourcing": ratio(r["khidma"], r["eventsourcing"]),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
