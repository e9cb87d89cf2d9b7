"""Filing requests through khidma's full command path, beside the raw asyncpg floor.

A khidma command is ``Khidma.requests.submit``: permission and idempotency check, the citizen,
catalog, centre and calendar loaded, the prefilled form validated, the fee assessed, a tracking
number drawn, and Submitted + FeeAssessed written with the idempotency record in one statement.
The floor is benchmarks/append.py's raw INSERT of the same two events' bytes into a copy of
khidma's ``events`` table. Both run at ``--callers`` asyncio tasks, in interleaved rounds, as
khidma's server process runs its commands (core/running.py): on uvloop where installed, with
rare garbage collections.

    .venv/bin/python benchmarks/commands.py [--quick] [--callers 16] [--clerks 4] [--seconds S]

Callers are citizens on the portal (a random one of 200 seeded, complete profiles, each
command), except ``--clerks`` of them: clerks at the counter filing for a citizen by national
number. The database is ``--database-url``, else ``KHIDMA_DATABASE_URL``, else a throwaway
embedded PostgreSQL. The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from append import EVENTS_DDL, HASHES, RAW_INSERT, Timing, metadata, schema_name, target_database
from append import drop_schema as drop

from khidma.core import running
from khidma.core.app import Actor, Khidma
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog, ClockRule, Collector, Delivery, Handling
from khidma.core.domain.centre import Centre
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Employment, Staff
from khidma.core.domain.tracking import request_id
from khidma.core.events.database import create_pool, server_settings
from khidma.core.privacy import numbers_of

SERVICE, AGENCY, CENTRE, CITIZENS = "civil.birth_statement", "civil_registry", "DAM-01", 200
SEEDED_AT = datetime.now(UTC) - timedelta(days=1)


def label(en: str) -> dict[str, str]:
    return {"ar": "حقل", "en": en}


FORM: dict[str, Any] = {  # four fields the profile prefills, one the citizen types
    "fields": [
        {"name": "national_number", "type": "digits", "length": 11, "label": label("NN")},
        {"name": "first_name_ar", "type": "text", "max_length": 100, "label": label("Name")},
        {"name": "father_name", "type": "text", "max_length": 100, "label": label("Father")},
        {"name": "birth_date", "type": "date", "not_in_future": True, "label": label("Born")},
        {"name": "copies", "type": "integer", "min": 1, "max": 5, "label": label("Copies")},
    ]
}


@dataclasses.dataclass
class Run:
    measured: int  # commands completed while the clock ran
    elapsed: float
    cpu: float  # this process's CPU seconds while the clock ran
    commands: int  # every completed command, warm-up included
    latencies: list[float]  # seconds, of the commands completed while the clock ran


@dataclasses.dataclass
class Sample:
    """A real submission's two events, so the floor writes the same bytes."""

    topics: list[str]
    data: list[bytes]


async def drive(callers: int, command: Callable[[int], Awaitable[None]], t: Timing) -> Run:
    """As append.py's ``drive_tasks``, also timing each command finished on the clock."""
    done, stop, timing = 0, False, False
    latencies: list[float] = []

    async def caller(slot: int) -> None:
        nonlocal done
        while not stop:
            began = time.perf_counter()
            await command(slot)
            if timing:
                latencies.append(time.perf_counter() - began)
            done += 1

    tasks = [asyncio.create_task(caller(i)) for i in range(callers)]
    await asyncio.sleep(t.warmup)
    start, began, cpu, timing = done, time.perf_counter(), time.process_time(), True
    await asyncio.sleep(t.seconds)
    measured, elapsed, timing = done - start, time.perf_counter() - began, False
    cpu = time.process_time() - cpu
    stop = True
    await asyncio.gather(*tasks)
    return Run(measured, elapsed, cpu, done, latencies)


def national_number(i: int) -> str:
    return f"{10_000_000_000 + i:011d}"


def hire(number: str, at: datetime) -> Staff:
    return Staff.hire(
        number, "موظف", "Clerk", role=Role.CLERK, employment=Employment.PERMANENT,
        centre_code=CENTRE, agency_code=AGENCY, at=at,
    )  # fmt: skip


async def seed(khidma: Khidma, clerks: int) -> tuple[list[Actor], list[Actor]]:
    """Catalog, calendar, one centre, citizens and clerks, saved through the repository."""
    at = SEEDED_AT
    catalog = Catalog.create(at=at)
    catalog.add_service(
        code=SERVICE, name_ar="بيان ولادة", name_en="Birth statement", agency=AGENCY,
        form_schema=FORM, agency_fee=1500, handling=Handling.REPLY_LATER, turnaround_days=3,
        clock_rule=ClockRule.CONTINUE, collectors=[Collector.SELF], delivery=[Delivery.PICKUP],
        validity_days=30, at=at,
    )  # fmt: skip
    catalog.decide_surcharge("DAM", None, 300, at.date(), "DAM-2026/7", at=at)
    centre = Centre.register(
        CENTRE, "المزة", "Mezzeh", "DAM", "المزة", "Mezzeh", counters=12, services=[SERVICE], at=at
    )
    citizens = []
    numbers = numbers_of(khidma.store)
    for i in range(CITIZENS):
        nn = national_number(i)
        citizen_id = await numbers.ensure(nn)
        citizen = Citizen.register(
            nn, "سامر", "Samer", "الحمصي", "Al-Homsi", citizen_id=citizen_id, at=at
        )
        citizen.complete_profile(
            father_name="خالد", mother_name="مريم", birth_date=date(1990, 4, 2),
            birth_place="حمص", registry_place="حمص", address_governorate="DAM",
            address_city="دمشق", address_street="شارع بغداد", phone="0933123456", at=at,
        )  # fmt: skip
        citizens.append(citizen)
    staff = [hire(f"ST-{i:04d}", at) for i in range(clerks)]
    calendar = WorkingCalendar.create("SY", at=at)
    await khidma.runner.repository.save(catalog, calendar, centre, *citizens, *staff)
    portal = [Actor(c.id, Role.CITIZEN, channel=Channel.PORTAL) for c in citizens]
    counter = [Actor(s.id, Role.CLERK, centre=CENTRE, agency=AGENCY) for s in staff]
    return portal, counter


async def run_khidma(url: str, callers: int, clerks: int, t: Timing, sample: list[Sample]) -> Run:
    schema = schema_name("khidma")
    size = callers + 2
    settings = Settings(database_url=url, db_schema=schema, pool_min_size=size, pool_max_size=size)
    try:
        async with open_store(url, settings) as store:
            khidma = Khidma(store)
            portal, counter = await seed(khidma, min(clerks, callers))
            numbers: list[str] = []

            def submit(actor: Actor, key: str, nn: str | None) -> Awaitable[dict[str, Any]]:
                return khidma.requests.submit(
                    actor, key, service_code=SERVICE, form={"copies": 2}, delivery="pickup",
                    pickup_centre=CENTRE, national_number=nn,
                )  # fmt: skip

            # Each attempt's idempotency key, as a client makes it (on the client, so cheaply).
            run = uuid.uuid4().hex[:12]
            keys = (f"bench-{run}-{n}" for n in itertools.count())

            async def command(slot: int) -> None:
                if slot < len(counter):  # a clerk at the counter, for some citizen
                    nn = national_number(random.randrange(CITIZENS))
                    filed = await submit(counter[slot], next(keys), nn)
                else:
                    filed = await submit(random.choice(portal), next(keys), None)
                numbers.append(filed["tracking_number"])

            run = await drive(callers, command, t)
            # An idempotent retry: the first result again, and nothing written.
            key = f"bench-{uuid.uuid4()}"
            first = await submit(portal[0], key, None)
            if await submit(portal[0], key, None) != first:
                raise SystemExit("khidma check FAILED: a retried key gave another result")
            numbers.append(first["tracking_number"])
            await check(store.pool, numbers)
            if not sample:
                rows = await store.read_stream(request_id(numbers[0]))
                sample.append(Sample([r.topic for r in rows], [r.data for r in rows]))
            return run
    finally:
        await drop(url, schema)


async def check(pool: asyncpg.Pool, numbers: list[str]) -> None:
    """Every command counted filed one request: two events, one idempotency row, one number.

    Numbers are reserved in blocks, so at least as many were drawn as used.
    """
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE topic LIKE '%Submitted') AS submitted,"
        " count(*) FILTER (WHERE topic LIKE '%FeeAssessed') AS assessed,"
        " count(DISTINCT stream_id) FILTER (WHERE topic LIKE '%Submitted') AS streams,"
        " (SELECT count(*) FROM commands WHERE command = 'submit_request') AS commands,"
        " (SELECT sum(last) FROM request_numbers) AS drawn"
        " FROM events"
    )
    assert row is not None
    n = len(numbers)
    got = dict(row)
    drawn = got.pop("drawn")
    if len(set(numbers)) != n or any(v != n for v in got.values()) or drawn < n:
        raise SystemExit(f"khidma check FAILED: {n} commands, unique numbers"
                         f" {len(set(numbers))}, found {got}, drawn {drawn}")  # fmt: skip


async def run_raw(url: str, callers: int, t: Timing, sample: Sample) -> Run:
    schema = schema_name("raw")
    settings = Settings(db_schema=schema, pool_min_size=callers, pool_max_size=callers)
    hashes, versions = HASHES[: len(sample.topics)], list(range(1, len(sample.topics) + 1))
    try:
        conn = await asyncpg.connect(url, server_settings=server_settings(settings))
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(EVENTS_DDL)
        finally:
            await conn.close()
        async with await create_pool(url, settings) as pool:

            async def command(_slot: int) -> None:
                streams = [uuid.uuid4()] * len(versions)
                meta = orjson.dumps(metadata(), option=orjson.OPT_SORT_KEYS)
                await pool.execute(
                    RAW_INSERT, streams, versions, sample.topics, sample.data, meta, hashes
                )

            run = await drive(callers, command, t)
            rows = await pool.fetchval("SELECT count(*) FROM events")
            if rows != len(versions) * run.commands:
                raise SystemExit(f"raw check FAILED: {rows} rows for {run.commands} commands")
            return run
    finally:
        await drop(url, schema)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under a minute")
    parser.add_argument("--callers", type=int, default=16, help="concurrent callers (tasks)")
    parser.add_argument("--clerks", type=int, default=4, help="callers that are clerks")
    parser.add_argument("--seconds", type=float, help="measured seconds per system (default 20)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 4; quick 2)")
    parser.add_argument("--database-url", help="default: KHIDMA_DATABASE_URL, else embedded")
    args = parser.parse_args()
    seconds = args.seconds or (6.0 if args.quick else 20.0)
    rounds = args.rounds or (2 if args.quick else 4)
    timing = Timing(warmup=min(1.5, max(0.5, seconds / rounds / 4)), seconds=seconds / rounds)

    runs: dict[str, list[Run]] = {"khidma": [], "raw": []}
    samples: list[Sample] = []
    # Both as in khidma's served process (schema/app.py): its loop, its rare collections.
    with target_database(args.database_url) as url, running.collected_rarely():
        for i in range(rounds):
            # khidma first in round 0: its first request gives the floor the bytes to write.
            for system in ("khidma", "raw") if i % 2 == 0 else ("raw", "khidma"):
                if system == "khidma":
                    run = running.run(run_khidma(url, args.callers, args.clerks, timing, samples))
                else:
                    run = running.run(run_raw(url, args.callers, timing, samples[0]))
                runs[system].append(run)
                rate = run.measured / run.elapsed
                p50 = percentile(run.latencies, 50) * 1000
                print(
                    f"  round {i + 1}: {system:>6} × {args.callers} callers: {rate:7.0f}"
                    f" commands/s, p50 {p50:6.2f} ms ({run.commands} commands)",
                    file=sys.stderr,
                )

    rate = {s: sum(r.measured for r in rs) / sum(r.elapsed for r in rs) for s, rs in runs.items()}
    # CPU per command moves less with the machine's load than throughput does.
    cpu_us = {
        s: sum(r.cpu for r in rs) / sum(r.measured for r in rs) * 1e6 for s, rs in runs.items()
    }
    latencies = [x * 1000 for r in runs["khidma"] for x in r.latencies]
    raw_latencies = [x * 1000 for r in runs["raw"] for x in r.latencies]
    print(
        f"commands at {args.callers} callers ({args.clerks} clerks), {seconds:g} s each in"
        f" {rounds} rounds: khidma {rate['khidma']:,.0f}/s, p50 {percentile(latencies, 50):.2f}"
        f" ms, p99 {percentile(latencies, 99):.2f} ms; raw {rate['raw']:,.0f}/s, p50"
        f" {percentile(raw_latencies, 50):.2f} ms, p99 {percentile(raw_latencies, 99):.2f} ms;"
        f" CPU of this process per command: khidma {cpu_us['khidma']:.0f} µs, raw"
        f" {cpu_us['raw']:.0f} µs",
        file=sys.stderr,
    )
    summary = {
        "benchmark": "commands",
        "khidma": round(rate["khidma"]),
        "raw": round(rate["raw"]),
        "ratio": round(rate["khidma"] / rate["raw"], 2) if rate["raw"] else None,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "khidma_cpu_us": round(cpu_us["khidma"]),
        "raw_cpu_us": round(cpu_us["raw"]),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
