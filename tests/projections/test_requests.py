"""The request read models over the command path: requests, timeline, sla, agency backlog."""

from __future__ import annotations

import pytest

from khidma.core.domain.tracking import request_id
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


async def test_the_timeline_speaks_arabic_and_english(world: World) -> None:
    filed = await world.issued()
    await catch_up(world.store, "request_timeline")
    rows = await world.store.pool.fetch(
        "SELECT event, text_ar, text_en FROM request_timeline WHERE request_id = $1"
        " ORDER BY version",
        request_id(filed["tracking_number"]),
    )
    assert [r["event"] for r in rows] == [
        "Submitted", "FeeAssessed", "PaymentRecorded", "SentToAgency", "Issued",
    ]  # fmt: skip
    assert "بيان ولادة" in rows[0]["text_ar"] and "Birth statement" in rows[0]["text_en"]
    assert "ل.س" in rows[1]["text_ar"] and "SYP" in rows[1]["text_en"]


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
