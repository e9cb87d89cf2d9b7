"""The dispatcher process killed by SIGKILL mid-dispatch and restarted: nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from khidma.core.app import Khidma
from khidma.core.config import Settings
from khidma.core.events import EventStore
from tests.core.app.request_world import BIRTH, seed
from tests.ports import free_port

from .conftest import SECRET, SandboxControl

KHIDMA = Path(sys.executable).parent / "khidma"


@contextmanager
def dispatcher_process(settings: Settings, sandbox: str, port: int) -> Iterator[subprocess.Popen]:
    assert settings.database_url
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KHIDMA_")},
        "KHIDMA_DATABASE_URL": settings.database_url,
        "KHIDMA_DB_SCHEMA": settings.db_schema,
        "KHIDMA_SANDBOX_URL": sandbox,
        "KHIDMA_CALLBACK_SECRET": SECRET,
        "KHIDMA_CALLBACK_URL": f"http://127.0.0.1:{port}/callbacks",
        "KHIDMA_CONNECTOR_TIMEOUT": "5",
        "KHIDMA_DISPATCH_BACKOFF": "0.01",
        "KHIDMA_DISPATCH_MAX_BACKOFF": "0.05",
        "KHIDMA_WATCH_INTERVAL": "0.2",
    }
    process = subprocess.Popen(
        [str(KHIDMA), "dispatch", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


async def until(check, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def test_killed_mid_dispatch_then_restarted(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    world = await seed(Khidma(store))
    await sandbox.set("civil_registry", latency=2.0, callback_delay=0.1)
    port = free_port()
    numbers = []
    with dispatcher_process(settings, sandbox.url, port) as first:
        for _ in range(3):
            filed = await world.file(BIRTH)
            numbers.append(filed["tracking_number"])
            await world.pay(filed["tracking_number"], filed["fee_total"])

        async def in_flight() -> bool:
            return bool(await sandbox.calls("civil_registry", "/requests"))

        await until(in_flight, "a submission in flight")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    await sandbox.set("civil_registry", latency=0.0)
    with dispatcher_process(settings, sandbox.url, port):

        async def all_issued() -> bool:
            statuses = [(await world.load(n)).status.value for n in numbers]
            return all(s == "issued" for s in statuses)

        await until(all_issued, "every request issued after the restart", timeout=60)
    for number in numbers:
        topics = await world.topics(number)
        for topic in ("SentToAgency", "AcceptedByAgency", "Issued"):
            assert topics.count(topic) == 1, (number, topics)
    keys = {c["key"] for c in await sandbox.calls("civil_registry", "/requests") if c["key"]}
    assert keys == {f"{n}:submit" for n in numbers}  # one filing each, however often sent
    async with httpx.AsyncClient() as client:
        control = (await client.get(f"{sandbox.url}/_control")).json()
    assert control["systems"]["civil_registry"]["latency"] == 0.0
