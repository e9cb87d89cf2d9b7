"""Decoding for projections: families, names, upcasting, attributes left as stored."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import orjson

from khidma.core.events import RecordedEvent
from khidma.projections.decoding import Decoder

FEE_V1 = "khidma.core.domain.request_agency:RequestAtAgency.FeeAssessed"


def _record(topic: str, state: dict[str, object]) -> RecordedEvent:
    at = datetime(2026, 1, 4, 5, 0, tzinfo=UTC)
    return RecordedEvent(7, 1, uuid.uuid4(), 2, topic, orjson.dumps(state), {}, at)


def test_a_version_1_fee_is_upcast_like_the_aggregate_does() -> None:
    stamp = {"_type_": "datetime_iso", "_data_": "2026-01-04T08:00:00+03:00"}
    event = Decoder().decode(_record(FEE_V1, {"total": 1500, "at": stamp, "timestamp": stamp}))
    assert event is not None
    assert (event.family, event.name, event.position) == ("request", "FeeAssessed", 7)
    assert event.state["agency_fee"] == 1500 and event.state["surcharge"] == 0
    assert event.state["assessed_on"] == date(2026, 1, 4)
    assert event.at == datetime.fromisoformat("2026-01-04T08:00:00+03:00")


def test_events_no_projection_follows_are_not_decoded() -> None:
    decoder = Decoder(lambda kind: kind.family == "queue")
    assert decoder.decode(_record(FEE_V1, {"total": "not even valid"})) is None
    assert decoder.decode(_record("khidma.nowhere:Gone.Event", {})) is None


def test_forms_stay_as_stored() -> None:
    topic = "khidma.core.domain.request:ServiceRequest.Submitted"
    raw = {"_type_": "uuid_hex", "_data_": uuid.UUID(int=1).hex}
    event = Decoder().decode(_record(topic, {"form": {"x": raw}, "citizen_id": raw}))
    assert event is not None
    assert event.state["form"] == {"x": raw}
    assert event.state["citizen_id"] == uuid.UUID(int=1)
