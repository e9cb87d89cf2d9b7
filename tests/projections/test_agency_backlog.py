"""agency_backlog and sla over the command path: whose turn it is, what each agency holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from khidma.projections.agency_backlog import summary
from tests.core.app.request_world import CIVIL, HOMS, World

from .helpers import catch_up

pytestmark = pytest.mark.projection


async def test_sla_and_backlog_say_whose_turn_it_is(world: World) -> None:
    issued = await world.issued()
    waiting = await world.file()
    await catch_up(world.store, "sla", "agency_backlog")
    sla = {r["tracking_number"]: r for r in await world.store.pool.fetch("SELECT * FROM sla")}
    assert sla[issued["tracking_number"]]["waiting_on"] == "centre"  # to certify
    assert sla[waiting["tracking_number"]]["waiting_on"] == "citizen"  # to pay
    backlog = await world.store.pool.fetch("SELECT tracking_number, sent_at FROM agency_backlog")
    assert [r["tracking_number"] for r in backlog] == [waiting["tracking_number"]]
    assert backlog[0]["sent_at"] is None  # not at the agency yet


async def test_the_backlog_counts_what_each_agency_holds(world: World) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    await world.issued()  # answered: no longer the agency's
    await catch_up(world.store, "agency_backlog")
    now = datetime.now(UTC) + timedelta(days=2)
    [row] = await summary(world.store.pool, now)
    assert (row["agency_code"], row["centre"], row["open"]) == (CIVIL, HOMS, 1)
    assert row["waiting_on_citizen"] == 0 and row["oldest_days"] > 1.9
