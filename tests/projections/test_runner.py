"""The runner: exactly once across processes and kills, failures that stop only their projection."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import load_demo
from khidma.core.config import Settings
from khidma.core.events import EventStore, NewEvent
from khidma.projections.feed import Feed
from khidma.projections.positions import Positions
from khidma.projections.registry import projections
from khidma.projections.replay import rebuild
from khidma.projections.runner import Runner, Status, leader_key
from khidma.projections.worker import ProjectionWorker
from tests.core.app.request_world import World

from .helpers import catch_up, checksums, logged
from .probe import TOPIC

pytestmark = pytest.mark.projection
ROOT = Path(__file__).resolve().parents[2]


async def test_a_rebuild_equals_the_incremental_result(store: EventStore) -> None:
    await load_demo(Khidma(store))
    await catch_up(store)  # batches of 7: many small transactions
    incremental = await checksums(store)
    assert incremental["requests"]["requests"][0] > 0
    assert incremental["queue_board"]["queue_board_categories"][0] > 0
    results = await rebuild(store, projections(), batch=50, verify=True)
    assert [r.verified for r in results] == [True] * len(results)
    assert await checksums(store) == incremental


async def test_a_worker_follows_new_events_and_reports_lag(world: World) -> None:
    store = world.store
    worker = ProjectionWorker(store, ["requests"], standby_poll=0.05)
    await worker.start()
    try:
        for _ in range(3):
            await world.issued()
        await logged(store)
        head = await store.head()
        assert await worker.wait_for("requests", head, timeout=30) >= head
        assert await store.pool.fetchval("SELECT count(*) FROM requests") == 3
        lag = (await worker.lag())["requests"]
        assert lag.events == 0 and lag.seconds == 0
    finally:
        await worker.stop()
    await world.file()  # nobody follows now: the lag shows it
    await logged(store)
    lag = (await worker.lag())["requests"]
    assert lag.events == 2 and lag.seconds > 0


async def test_waiting_past_the_head_times_out_naming_the_projection(store: EventStore) -> None:
    with pytest.raises(TimeoutError, match="'requests' at position 0"):
        await Positions(store).wait_for("requests", 10, timeout=0.2)


async def _bad_event(store: EventStore, data: bytes) -> int:
    """A submission no request projection can apply."""
    topic = "khidma.core.domain.request:ServiceRequest.Submitted"
    appended = await store.append(uuid.uuid4(), [NewEvent(topic, data)], 0)
    return (await store.sequenced(appended, timeout=60))[0]


@pytest.mark.parametrize("shared", [False, True], ids=["own feeds", "one feed"])
@pytest.mark.parametrize(
    "data",
    [b'{"at": null}', b"not json"],  # its state lacks every field; it cannot be decoded
    ids=["unfit", "undecodable"],
)
async def test_an_event_a_projection_cannot_apply_stops_it_and_the_others_go_on(
    store: EventStore, data: bytes, shared: bool
) -> None:
    await load_demo(Khidma(store))
    bad = await _bad_event(store, data)
    queue_topic = "khidma.core.domain.queue:Queue.TicketRecalled"
    await store.append(uuid.uuid4(), [NewEvent(queue_topic, b"{}")], 0)
    await logged(store)
    head = await store.head()
    chosen = projections()
    feed = Feed.of(store, chosen) if shared else None  # as a worker's runners share one
    runners = {p.name: Runner(store, p, batch=50, feed=feed) for p in chosen}
    await asyncio.gather(*(r.run(until=head) for r in runners.values()))
    for name in ("requests", "request_timeline", "sla", "agency_backlog", "centre_daily_stats"):
        runner = runners[name]
        assert runner.status is Status.FAILED, name
        assert runner.position < bad, name  # everything before it is applied
        assert f"request.Submitted at position {bad}" in (runner.error or ""), runner.error
        stored = await store.pool.fetchrow(
            "SELECT error, error_position FROM projection_state WHERE name = $1", name
        )
        assert stored["error_position"] == bad and stored["error"] == runner.error
    assert runners["queue_board"].status is Status.FOLLOWING
    assert runners["queue_board"].position == head


def _spawn(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    assert settings.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "tests.projections.probe", settings.database_url,
         settings.db_schema, str(log)],
        cwd=ROOT,
    )  # fmt: skip


async def _probe_events(store: EventStore, n: int) -> int:
    for _ in range(n // 10):
        await store.append(uuid.uuid4(), [NewEvent(TOPIC, b"{}")] * 1, 0)
        for _ in range(9):
            await store.append(uuid.uuid4(), [NewEvent(TOPIC, b"{}")], 0)
    await logged(store)
    return await store.head()


def _read(log: Path) -> str:
    return log.read_text() if log.exists() else ""


async def _lines(log: Path, at_least: int, timeout: float = 60) -> list[tuple[int, int]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        text = await asyncio.to_thread(_read, log)
        lines = [tuple(map(int, line.split())) for line in text.splitlines()]
        if len(lines) >= at_least or loop.time() > deadline:
            return lines  # type: ignore[return-value]
        await asyncio.sleep(0.05)


async def test_two_processes_never_both_apply_and_a_kill_mid_batch_loses_and_doubles_nothing(
    store: EventStore, settings: Settings, tmp_path: Path
) -> None:
    head = await _probe_events(store, 120)
    log = tmp_path / "batches.log"
    first, second = _spawn(settings, log), _spawn(settings, log)
    try:
        lines = await _lines(log, 3)
        assert len(lines) >= 3, "no runner applied three batches"
        leader = lines[0][0]
        assert {pid for pid, _ in lines} == {leader}, "two processes applied at once"
        os.kill(leader, signal.SIGKILL)  # mid-batch: each batch sleeps in its transaction
        survivor = second if leader == first.pid else first
        assert await asyncio.to_thread(survivor.wait, 120) == 0
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
                process.wait()
    rows = await store.pool.fetch("SELECT position, pid FROM probe ORDER BY position")
    assert [r["position"] for r in rows] == list(range(1, head + 1))  # nothing lost or doubled
    pids = [r["pid"] for r in rows]
    switch = pids.index(survivor.pid)
    assert set(pids[:switch]) == {leader} and set(pids[switch:]) == {survivor.pid}
    applied = await _lines(log, 0)
    killed_batch = applied[len([p for p, _ in applied if p == leader]) - 1][1]
    assert pids[killed_batch - 1] == survivor.pid, "the killed batch was not rolled back"


async def test_a_worker_stops_whenever_it_is_stopped(world: World) -> None:
    for _ in range(3):
        await world.issued()
    await logged(world.store)
    for delay in (0.0, 0.005, 0.01, 0.02, 0.05, 0.1):
        worker = ProjectionWorker(world.store, batch=1)
        await worker.start()
        await asyncio.sleep(delay)
        # A cancelled query may surface as a connection error; stopping must still stop.
        await asyncio.wait_for(worker.stop(), timeout=60)
        keys = [leader_key(world.store.settings.db_schema, p) for p in projections()]
        held = await world.store.pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = ANY($1::bigint[])",
            keys,
        )
        assert held == 0, f"a stopped runner kept its leader lock (stopped after {delay}s)"
