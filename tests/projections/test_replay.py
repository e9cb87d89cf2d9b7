"""Rebuilds: into new tables while the old ones serve, swapped in; verify; version changes."""

from __future__ import annotations

import asyncio
import gc
import uuid

import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import load_demo
from khidma.core.events import EventStore, NewEvent
from khidma.projections.decoding import Decoder
from khidma.projections.projection import ProjectionError
from khidma.projections.reading import read_through
from khidma.projections.registry import projections
from khidma.projections.replay import rebuild
from khidma.projections.requests import RequestsProjection
from khidma.projections.runner import Runner
from khidma.projections.worker import ProjectionWorker
from tests.core.app.request_world import World

from .helpers import catch_up, checksums, logged

pytestmark = pytest.mark.projection


async def test_a_rebuild_while_the_live_runner_follows_new_events(world: World) -> None:
    worker = ProjectionWorker(world.store, ["requests", "request_timeline"], batch=3)
    await worker.start()
    try:
        for _ in range(3):
            await world.issued()

        async def writing() -> None:
            for _ in range(4):
                await world.file()

        writer = asyncio.create_task(writing())
        results = await rebuild(world.store, projections(["requests", "request_timeline"]), batch=4)
        await writer
        await logged(world.store)
        await worker.wait_for_all(await world.store.head(), timeout=30)
    finally:
        await worker.stop()
    assert {r.name for r in results} == {"requests", "request_timeline"}
    live = await checksums(world.store, "requests", "request_timeline")
    assert live["requests"]["requests"][0] == 7
    again = await rebuild(world.store, projections(["requests", "request_timeline"]), verify=True)
    assert [r.verified for r in again] == [True, True]
    assert await checksums(world.store, "requests", "request_timeline") == live


async def test_verify_finds_a_drifted_table_and_the_swap_repairs_it(world: World) -> None:
    filed = await world.issued()
    await catch_up(world.store, "requests")
    await world.store.pool.execute("UPDATE requests SET status = 'collected'")
    [result] = await rebuild(world.store, projections(["requests"]), verify=True)
    assert result.verified is False
    status = await world.store.pool.fetchval(
        "SELECT status FROM requests WHERE tracking_number = $1", filed["tracking_number"]
    )
    assert status == "issued"


class _RequestsV2(RequestsProjection):
    version = 2


async def test_a_new_table_version_is_rebuilt_by_the_runner(
    store: EventStore, world: World
) -> None:
    await world.issued()
    await catch_up(store, "requests")
    before = await checksums(store, "requests")
    await store.pool.execute("DELETE FROM requests")  # lost rows come back with the rebuild
    runner = Runner(store, _RequestsV2())
    await runner.run(until=await store.head())
    version = await store.pool.fetchval(
        "SELECT version FROM projection_state WHERE name = 'requests'"
    )
    assert version == 2
    assert await checksums(store, "requests") == before


async def test_rows_kept_and_let_go_across_batches_give_the_incremental_result(
    store: EventStore,
) -> None:
    await load_demo(Khidma(store))
    await catch_up(store)  # batches of 7, rows read and written back in each
    incremental = await checksums(store)
    # Few rows kept: most are let go and read back many times over.
    results = await rebuild(store, projections(), batch=20, keep=3, verify=True)
    assert [r.verified for r in results] == [True] * len(results)
    assert await checksums(store) == incremental


async def test_a_rebuild_names_the_event_it_cannot_apply_and_swaps_nothing_in(
    store: EventStore,
) -> None:
    await load_demo(Khidma(store))
    await catch_up(store, "requests")
    before = await checksums(store, "requests")
    topic = "khidma.core.domain.request:ServiceRequest.Submitted"
    appended = await store.append(uuid.uuid4(), [NewEvent(topic, b'{"at": null}')], 0)
    [bad] = await store.sequenced(appended, timeout=60)
    with pytest.raises(ProjectionError, match=f"request.Submitted at position {bad} "):
        await rebuild(store, projections(["requests"]), batch=20)
    assert await checksums(store, "requests") == before


async def test_read_through_pages_the_log_as_read_all_does(store: EventStore) -> None:
    await load_demo(Khidma(store))
    await logged(store)
    head = await store.head()
    paged = [e async for page in store.read_through(3, head - 2, page=5) for e in page]
    assert [e.position for e in paged] == list(range(4, head - 1))
    assert paged == await store.read_all(3, head - 5)


async def test_the_rebuild_reads_and_decodes_the_log_as_read_all_does(store: EventStore) -> None:
    await load_demo(Khidma(store))
    await logged(store)
    head = await store.head()
    decoder = Decoder()
    pages = [page async for page in read_through(store, decoder, 3, head - 2, 5)]
    assert [last for last, _ in pages] == [*range(8, head - 2, 5), head - 2]
    read = [e for r in await store.read_all(3, head - 5) if (e := decoder.decode(r)) is not None]
    # Of the metadata, either way, only what projections read (decoding.METADATA).
    assert all(set(e.metadata) == {"actor_role", "centre"} for e in read)
    assert any(e.metadata["centre"] for e in read)
    assert [e for _, events in pages for e in events] == read


class _Watching(RequestsProjection):
    """Notes, per batch it applies, whether the cyclic collector is on and how it is planned."""

    def __init__(self) -> None:
        self.collecting: list[bool] = []
        self.planning: list[str] = []

    async def apply(self, conn, events, tables):  # type: ignore[no-untyped-def]
        self.collecting.append(gc.isenabled())
        self.planning.append(await conn.fetchval("SHOW plan_cache_mode"))
        await super().apply(conn, events, tables)


@pytest.mark.parametrize("keep", [0, 3])
async def test_a_rebuild_plans_for_the_tables_as_they_grow(store: EventStore, keep: int) -> None:
    await load_demo(Khidma(store))
    await logged(store)
    watching = _Watching()
    await rebuild(store, [watching], batch=20, keep=keep)
    # Not a generic plan made while the new tables were empty: that one scanned them whole.
    assert watching.planning and set(watching.planning) == {"force_custom_plan"}
    async with store.pool.acquire() as conn:  # for that transaction only
        assert await conn.fetchval("SHOW plan_cache_mode") == "auto"


async def test_a_rebuild_thaws_only_what_it_froze(store: EventStore) -> None:
    await load_demo(Khidma(store))
    await logged(store)
    gc.unfreeze()
    watching = _Watching()
    await rebuild(store, [watching], batch=20)
    assert gc.get_freeze_count() == 0  # what the batches left behind is collectable again
    assert watching.collecting and not any(watching.collecting)  # off during the pass
    assert gc.isenabled()  # and on again after it
    gc.freeze()  # as a server does with its startup objects
    try:
        frozen = gc.get_freeze_count()
        watching = _Watching()
        await rebuild(store, [watching], batch=20)
        assert 0 < gc.get_freeze_count() <= frozen  # neither thawed nor added to
        assert all(watching.collecting)  # a server's collector is left alone
    finally:
        gc.unfreeze()
