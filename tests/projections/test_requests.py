"""requests: the current state of every request, through the command path."""

from __future__ import annotations

import pytest

from tests.core.app.request_world import CIVIL, HOMS, World

from .helpers import catch_up

pytestmark = pytest.mark.projection


async def test_a_request_row_follows_its_events(world: World) -> None:
    issued = await world.issued()
    waiting = await world.file()
    await catch_up(world.store, "requests")
    rows = {
        r["tracking_number"]: r
        for r in await world.store.pool.fetch(
            "SELECT * FROM requests WHERE pickup_centre = $1", HOMS
        )
    }
    done = rows[issued["tracking_number"]]
    assert done["status"] == "issued"
    assert done["paid_amount"] == issued["fee_total"] and done["agency_code"] == CIVIL
    assert done["document_at"] == f"centre:{HOMS}" and done["due_on"] is not None
    assert rows[waiting["tracking_number"]]["status"] == "awaiting_payment"
