"""Verifying the log (``khidma audit verify``) beside the floor of hashing the same bytes.

The log is realistic request lifecycles written by benchmarks/generate.py in a subprocess, then
sealed with a checkpoint every 10,000 events. khidma is the whole verification, from the
database: reading every event, recomputing its content hash and chain hash, the Merkle roots
of every checkpoint, their signatures, their outside copies and the consistency proofs between
successive ones. The floor is, in this same process and run, hashlib's SHA-256 once over each
event's content-hash input (the same bytes, already in memory, nothing else).

    .venv/bin/python benchmarks/audit.py [--events 1000000] [--database-url URL] [--keep]

The database is ``--database-url``, else ``KHIDMA_DATABASE_URL``, else a throwaway embedded
PostgreSQL. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from append import drop_schema, logged_head, target_database

from khidma.core.audit import checkpoints
from khidma.core.audit.seal import Sealer
from khidma.core.audit.signing import load_signer
from khidma.core.audit.verify import audit
from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.core.events.hashing import canonical_metadata
from khidma.core.events.migrate import migrate_database

HERE = Path(__file__).resolve().parent
EVERY = 10_000
_PAGE = 10_000


def preimage(stream_id: bytes, version: int, topic: str, data: bytes, metadata: bytes) -> bytes:
    """The exact bytes ``content_hash`` hashes, as one string."""
    topic_bytes = topic.encode()
    return b"".join(
        (
            stream_id,
            version.to_bytes(8, "big", signed=True),
            len(topic_bytes).to_bytes(4, "big"),
            topic_bytes,
            len(data).to_bytes(4, "big"),
            data,
            len(metadata).to_bytes(4, "big"),
            metadata,
        )
    )


async def floor(pool: asyncpg.Pool, head: int) -> tuple[int, float, int]:
    """(events, seconds hashing, bytes): SHA-256 of each event's bytes, timed alone."""
    after, events, seconds, total = 0, 0, 0.0, 0
    sha256 = hashlib.sha256
    while after < head:
        rows = await pool.fetch(
            "SELECT l.position, e.stream_id, e.version, e.topic, e.data, e.metadata, "
            " e.content_hash FROM event_log l JOIN events e USING (event_id)"
            " WHERE l.position > $1 ORDER BY l.position LIMIT $2",
            after,
            _PAGE,
        )
        if not rows:
            break
        blobs = [preimage(r[1].bytes, r[2], r[3], r[4], canonical_metadata(r[5])) for r in rows]
        started = time.perf_counter()
        digests = [sha256(b).digest() for b in blobs]
        seconds += time.perf_counter() - started
        assert digests[-1] == rows[-1][6], "the floor must hash exactly the hashed bytes"
        events += len(rows)
        total += sum(map(len, blobs))
        after = rows[-1][0]
    return events, seconds, total


async def seal(store: EventStore, settings: Settings, head: int) -> float:
    """Checkpoints every EVERY events (and at the head); return the seconds it took."""
    sealer = Sealer(store, settings, load_signer(settings))
    have = await checkpoints.latest(store.pool)
    started = time.perf_counter()
    for size in [*range(EVERY, head, EVERY), head]:
        if have is None or size > have.size:
            await sealer.seal_once(force=True, size=size)
    return time.perf_counter() - started


async def run(url: str, schema: str, events: int, data_dir: Path) -> dict[str, object]:
    settings = Settings(database_url=url, db_schema=schema, data_dir=data_dir)
    head = await logged_head(url, schema)
    if head < events:
        print(f"generating {events:,} events into {schema}…", flush=True)
        await drop_schema(url, schema)
        started = time.perf_counter()
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(HERE / "generate.py"), "--events", str(events),
             "--database-url", url, "--schema", schema],
            check=True,
        )  # fmt: skip
        print(f"generated in {time.perf_counter() - started:.0f}s", flush=True)
    await migrate_database(url, settings)
    store = await EventStore.open(url, settings)
    try:
        head = await store.head()
        seal_s = await seal(store, settings, head)
        print(f"sealed {head:,} events in {seal_s:.1f}s ({head / seal_s:,.0f}/s)", flush=True)
        public_key = load_signer(settings).public_key
        outside = checkpoints.read_directory(settings.checkpoints_dir)
        floor_events, floor_s, floor_bytes = await floor(store.pool, head)
        floor_rate = floor_events / floor_s
        print(
            f"floor: {floor_events:,} events ({floor_bytes / floor_events:,.0f} bytes each)"
            f" hashed in {floor_s:.2f}s ({floor_rate:,.0f}/s)",
            flush=True,
        )
        started, cpu = time.perf_counter(), time.process_time()
        report = await audit(store.pool, public_key, outside)
        verify_s = time.perf_counter() - started
        verify_cpu = time.process_time() - cpu
        assert report.ok, report.findings[:5]
        rate = report.events / verify_s
        print(
            f"khidma audit verify: {report.events:,} events, {report.checkpoints} checkpoints"
            f" in {verify_s:.1f}s ({rate:,.0f}/s; {verify_cpu:.1f}s of this process's CPU)",
            flush=True,
        )
    finally:
        await store.close()
    return {
        "benchmark": "audit",
        "events": report.events,
        "events_per_s": round(rate),
        "floor_per_s": round(floor_rate),
        "ratio": round(rate / floor_rate, 3),
        "checkpoints": report.checkpoints,
        "seal_per_s": round(head / seal_s),
        "verify_s": round(verify_s, 1),
        "verify_cpu_s": round(verify_cpu, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated log (reused by the next run)"
    )
    args = parser.parse_args()
    schema = f"bench_audit_{args.events}"
    with target_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        # the signing key and outside copies live as long as the log: kept with --keep
        data_dir = Path(tempfile.gettempdir()) / f"khidma-{schema}" if args.keep else Path(tmp)
        try:
            result = asyncio.run(run(url, schema, args.events, data_dir))
        finally:
            if not args.keep:
                asyncio.run(drop_schema(url, schema))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
