"""request_timeline: one row per event, in Arabic and English words."""

from __future__ import annotations

import pytest

from khidma.core.domain.tracking import request_id
from tests.core.app.request_world import World

from .helpers import catch_up

pytestmark = pytest.mark.projection


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


async def test_a_rejection_reaches_the_citizen_in_both_languages(world: World) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    await world.requests.record_agency_answer(
        world.agency("civil_registry"), world.key(), number, rejection_reason="الطلاق غير قطعي"
    )
    await catch_up(world.store, "request_timeline")
    last = await world.store.pool.fetchrow(
        "SELECT event, text_ar, text_en FROM request_timeline WHERE request_id = $1"
        " ORDER BY version DESC LIMIT 1",
        request_id(number),
    )
    assert last["event"] == "Rejected"
    assert last["text_ar"] == "رفضت الجهة المعاملة: الطلاق غير قطعي"
    assert last["text_en"] == "Rejected by the agency: الطلاق غير قطعي"
