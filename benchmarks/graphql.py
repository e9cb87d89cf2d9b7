"""The tracking query through khidma's GraphQL API, beside a bare Starlette + asyncpg endpoint.

The query is what the portal and the app ask most: a request by tracking number with its
timeline, asked by the citizen who filed it with their own token. khidma answers it through
the whole stack (uvicorn, Starlette, the bearer token,
strawberry with its parser and validation caches, the permission rule, DataLoaders over the
``requests`` and ``request_timeline`` projections); the bare endpoint reads the same two tables
with asyncpg and returns the same JSON. Both run as their own uvicorn process with the same
settings (one worker, the same pool size), driven by ``--connections`` keep-alive HTTP
connections from this process, in interleaved rounds.

    .venv/bin/python benchmarks/graphql.py [--quick] [--connections 32] [--seconds S]

The database is ``--database-url``, else ``KHIDMA_DATABASE_URL``, else a throwaway embedded
PostgreSQL; the demo data is loaded into a schema of its own. The last line is a JSON summary.
"""

from __future__ import annotations

# isort: skip_file
import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from append import drop_schema, schema_name, target_database

# This file is named graphql.py: keep its folder off the path, or ``import graphql`` (by
# strawberry) would find this script instead of graphql-core.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import asyncpg  # noqa: E402
import orjson  # noqa: E402
import httpx  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from khidma.core import running  # noqa: E402
from khidma.core.app import Khidma  # noqa: E402
from khidma.core.app.demo import load_demo  # noqa: E402
from khidma.core.bootstrap import open_store  # noqa: E402
from khidma.core.config import Settings  # noqa: E402
from khidma.core.events.database import create_pool  # noqa: E402
from khidma.projections.worker import ProjectionWorker  # noqa: E402

QUERY = """query Track($n: String!) {
  request(trackingNumber: $n) {
    trackingNumber status feeTotal dueOn
    timeline { at event text { ar en } }
  }
}"""
POOL = 10


def _settings(url: str, schema: str, data_dir: str) -> Settings:
    return Settings(
        database_url=url, db_schema=schema, pool_min_size=POOL, pool_max_size=POOL,
        data_dir=Path(data_dir),
    )  # fmt: skip


BARE_TRACK = (
    "SELECT r.tracking_number, r.status, r.fee_total, r.due_on, t.entries"
    " FROM requests r LEFT JOIN LATERAL (SELECT array_agg((at, event, text_ar, text_en)"
    " ORDER BY version) AS entries FROM request_timeline WHERE request_id = r.request_id) t"
    " ON true WHERE r.tracking_number = $1"
)


def bare_app(settings: Settings) -> Starlette:
    """The same JSON from the same tables, with nothing in between."""
    state: dict[str, asyncpg.Pool] = {}

    async def track(request: Request) -> Response:
        body = orjson.loads(await request.body())
        # One statement, as khidma's tracking query makes (request and timeline together).
        row = await state["pool"].fetchrow(BARE_TRACK, body["variables"]["n"])
        data: dict[str, Any] = {"request": None}
        if row is not None:
            timeline = row["entries"] or ()
            data["request"] = {
                "trackingNumber": row["tracking_number"],
                "status": row["status"],
                "feeTotal": row["fee_total"],
                "dueOn": row["due_on"].isoformat() if row["due_on"] else None,
                "timeline": [
                    {"at": at.isoformat(), "event": event, "text": {"ar": ar, "en": en}}
                    for at, event, ar, en in timeline
                ],
            }
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        assert settings.database_url
        state["pool"] = await create_pool(settings.database_url, settings)
        yield
        await state["pool"].close()

    return Starlette(routes=[Route("/graphql", track, methods=["POST"])], lifespan=lifespan)


async def serve(kind: str, settings: Settings, port: int) -> None:
    """One server process: khidma's app or the bare one."""
    config: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    if kind == "bare":
        await uvicorn.Server(uvicorn.Config(bare_app(settings), **config)).serve()
        return
    from khidma.schema.app import create_app

    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        app = create_app(store, settings.database_url)
        await uvicorn.Server(uvicorn.Config(app, **config)).serve()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(kind: str, url: str, schema: str, data_dir: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port), "--database-url", url,
         "--schema", schema, "--data-dir", data_dir],
        env={k: v for k, v in os.environ.items() if not k.startswith("KHIDMA_")},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process, port
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


class _Connection:
    """One keep-alive HTTP/1.1 connection, minimal, so that the client costs little CPU
    (httpx spent more CPU per request than the servers measured)."""

    def __init__(self, port: int, token: str | None) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, body: bytes) -> bytes:
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        if b" 200 " not in status:
            raise RuntimeError(f"{status!r}: {payload[:200]!r}")
        return payload

    def close(self) -> None:
        self.writer.close()


async def drive(
    port: int, callers: list[tuple[str | None, list[str]]], connections: int, seconds: float
) -> tuple[float, list[float], int]:
    """Requests per second and latencies (ms) over ``seconds`` after a short warm-up, and the
    number of requests answered in all (warm-up included). Connection ``i`` asks as caller
    ``i`` (modulo their number): a token and the tracking numbers it may read."""
    latencies: list[float] = []
    answered = 0
    warm_until = time.perf_counter() + min(2.0, seconds / 4)
    stop_at = warm_until + seconds

    async def one(i: int) -> None:
        nonlocal answered
        token, numbers = callers[i % len(callers)]
        bodies = [
            json.dumps({"query": QUERY, "variables": {"n": number}}).encode() for number in numbers
        ]
        connection = _Connection(port, token)
        await connection.open()
        n = i
        try:
            while (now := time.perf_counter()) < stop_at:
                answer = await connection.post(bodies[n % len(bodies)])
                n += 1
                answered += 1
                if b'"request":{' not in answer.replace(b" ", b""):
                    raise RuntimeError(f"unexpected answer {answer[:200]!r}")
                if now >= warm_until:
                    latencies.append((time.perf_counter() - now) * 1000)
        finally:
            connection.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return len(latencies) / seconds, latencies, answered


async def check_same_answers(
    khidma_port: int, bare_port: int, callers: dict[str, list[tuple[str | None, list[str]]]]
) -> None:
    """Both servers answer every tracking number with the same JSON, or the run stops."""
    async with httpx.AsyncClient(timeout=30) as client:
        for (token, numbers), _ in zip(callers["khidma"], callers["bare"], strict=True):
            for number in numbers:
                body = {"query": QUERY, "variables": {"n": number}}
                answers = [
                    (
                        await client.post(f"http://127.0.0.1:{port}/graphql", json=body, headers=h)
                    ).json()
                    for port, h in (
                        (khidma_port, {"authorization": f"Bearer {token}"}),
                        (bare_port, {}),
                    )
                ]
                if answers[0] != answers[1]:
                    raise SystemExit(f"the answers for {number} differ: {answers}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1) if ordered else 0.0


async def prepare(url: str, schema: str, data_dir: str) -> dict[str, list[str]]:
    """The demo world, projected; each citizen's id with the tracking numbers they filed."""
    settings = _settings(url, schema, data_dir)
    async with open_store(url, settings) as store:
        await load_demo(Khidma(store))
        worker = ProjectionWorker(store)
        await worker.start()
        await store.sequencer.run_once()
        await worker.wait_for_all(await store.head(), timeout=120)
        await worker.stop()
        rows = await store.pool.fetch(
            "SELECT citizen_id, tracking_number FROM requests ORDER BY tracking_number"
        )
    filed: dict[str, list[str]] = {}
    for row in rows:
        filed.setdefault(str(row["citizen_id"]), []).append(row["tracking_number"])
    return filed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under a minute")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, help="per round (default 10; quick 5)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; quick 2)")
    parser.add_argument("--database-url", help="default: KHIDMA_DATABASE_URL, else embedded")
    parser.add_argument("--serve", choices=["khidma", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        settings = _settings(args.database_url, args.schema, args.data_dir)
        running.run(serve(args.serve, settings, args.port))
        return
    seconds = args.seconds or (5.0 if args.quick else 10.0)
    rounds = args.rounds or (2 if args.quick else 3)
    with target_database(args.database_url) as url, tempfile.TemporaryDirectory() as data_dir:
        schema = schema_name("graphql")
        try:
            filed = asyncio.run(prepare(url, schema, data_dir))
            from khidma.schema.auth import Tokens

            # khidma is asked by each citizen for their own requests, with their own token (the
            # permission rule and the scope check run); the bare endpoint checks nothing.
            tokens = Tokens(_settings(url, schema, data_dir))
            callers = {
                "khidma": [
                    (tokens.mint("citizen", citizen, channel="portal"), numbers)
                    for citizen, numbers in filed.items()
                ],
                "bare": [(None, numbers) for numbers in filed.values()],
            }
            khidma, khidma_port = _start("khidma", url, schema, data_dir)
            bare, bare_port = _start("bare", url, schema, data_dir)
            servers = {"bare": (bare, bare_port), "khidma": (khidma, khidma_port)}
            asyncio.run(check_same_answers(khidma_port, bare_port, callers))
            results: dict[str, list[tuple[float, list[float]]]] = {"khidma": [], "bare": []}
            cpu = {"khidma": 0.0, "bare": 0.0}  # each server's CPU seconds …
            answered = {"khidma": 0, "bare": 0}  # … for this many requests
            try:
                for r in range(rounds):
                    for kind, (process, port) in servers.items():
                        before = cpu_seconds(process.pid)
                        rps, latencies, count = asyncio.run(
                            drive(port, callers[kind], args.connections, seconds)
                        )
                        cpu[kind] += cpu_seconds(process.pid) - before
                        answered[kind] += count
                        results[kind].append((rps, latencies))
                        print(f"round {r + 1} {kind}: {rps:.0f} req/s, p99 {p99(latencies)} ms")
            finally:
                for process in (khidma, bare):
                    process.terminate()
                    process.wait(timeout=30)
        finally:
            asyncio.run(drop_schema(url, schema))
    khidma_rps = sum(r for r, _ in results["khidma"]) / rounds
    bare_rps = sum(r for r, _ in results["bare"]) / rounds
    summary = {
        "benchmark": "graphql",
        "khidma_rps": round(khidma_rps, 1),
        "bare_rps": round(bare_rps, 1),
        "ratio": round(khidma_rps / bare_rps, 2) if bare_rps else None,
        "p99_ms": p99([x for _, lat in results["khidma"] for x in lat]),
        "bare_p99_ms": p99([x for _, lat in results["bare"] for x in lat]),
        # each server's own CPU per request answered (warm-up included): what the ratio is made of
        "khidma_cpu_ms": round(1000 * cpu["khidma"] / answered["khidma"], 3),
        "bare_cpu_ms": round(1000 * cpu["bare"] / answered["bare"], 3),
        "connections": args.connections,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
