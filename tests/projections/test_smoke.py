from __future__ import annotations

import pytest

from khidma.projections.registry import projections
from khidma.projections.replay import rebuild
from tests.core.app.request_world import World

from .helpers import catch_up, checksums, table

pytestmark = pytest.mark.projection


async def test_smoke(world: World) -> None:
    filed = await world.issued()
    await world.file()
    await catch_up(world.store)
    rows = await table(world.store, "requests", "submitted_at")
    print(rows)
    print(await table(world.store, "request_timeline", "position"))
    print(await table(world.store, "sla", "request_id"))
    print(await table(world.store, "agency_backlog", "request_id"))
    before = await checksums(world.store)
    results = await rebuild(world.store, projections(), verify=True)
    print(results)
    assert all(r.verified for r in results)
    assert await checksums(world.store) == before
