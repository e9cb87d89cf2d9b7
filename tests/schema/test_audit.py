"""The auditors' queries over HTTP: eventLog, requestHistory and requestAsOf, on the demo data
(written by the command handlers), checked against the store and the aggregates themselves."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import format_tracking_number, request_id
from khidma.core.events import RecordedEvent
from tests.core.events.helpers import all_logged

from .conftest import Api

STATE = """
query AsOf($n: String!, $p: Int, $at: DateTime) {
  requestAsOf(trackingNumber: $n, position: $p, at: $at) {
    __typename
    ... on RequestState {
      trackingNumber version position lastEvent status citizenId serviceCode pickupCentreCode
      documentAt agencyReference documentReference clerkId updatedAt
      fee { agencyFee surcharge total } payment { amount provider } refund { amount }
      collectedBy custody form
    }
    ... on ValidationError { field message }
    ... on NotFound { what key }
  }
}
"""
HISTORY = """
query History($n: String!) {
  requestHistory(trackingNumber: $n) {
    __typename
    ... on RequestHistory {
      trackingNumber streamId
      events { position streamId version name topic recordedAt actorId actorRole centre channel
               idempotencyKey data contentHash chainHash text { ar en } }
    }
    ... on ValidationError { field message }
    ... on NotFound { what key }
  }
}
"""
LOG = """
query Log($filter: EventLogFilter, $first: Int!, $after: String, $afterPosition: Int) {
  eventLog(filter: $filter, first: $first, after: $after, afterPosition: $afterPosition) {
    __typename
    ... on EventLogConnection {
      edges { cursor node { position streamId name actorId centre recordedAt } }
      pageInfo { hasNextPage endCursor }
    }
    ... on ValidationError { field message }
  }
}
"""


@pytest.fixture(autouse=True)
async def logged(api: Api) -> None:
    await all_logged(api.store)


def auditor(api: Api) -> str:
    return api.token(Role.AUDITOR)


def longest(api: Api) -> str:
    """The demo request that went furthest (collected, else delivered, else any)."""
    by_status = {r.status: r.tracking_number for r in api.demo.requests}
    for status in ("collected", "delivered", "ready_for_pickup", "issued"):
        if status in by_status:
            return by_status[status]
    return api.demo.requests[0].tracking_number


def expected_state(request: Any, position: int) -> dict[str, Any]:
    """What requestAsOf must answer, from the aggregate replayed by the repository."""
    fee, payment, refund = request.fee, request.payment, request.refund
    return {
        "trackingNumber": request.tracking_number,
        "version": request.version,
        "status": request.status.value,
        "citizenId": str(request.citizen_id),
        "serviceCode": request.service_code,
        "pickupCentreCode": request.pickup_centre,
        "documentAt": request.document_at,
        "agencyReference": request.agency_reference,
        "documentReference": request.document_reference,
        "clerkId": None if request.clerk_id is None else str(request.clerk_id),
        "updatedAt": request.updated_at.isoformat(),
        "fee": None
        if fee is None
        else {"agencyFee": fee["agency_fee"], "surcharge": fee["surcharge"], "total": fee["total"]},
        "payment": None
        if payment is None
        else {"amount": payment["amount"], "provider": payment["provider"]},
        "refund": None if refund is None else {"amount": refund["amount"]},
    }


async def test_request_as_of_matches_the_aggregate_at_each_position(api: Api) -> None:
    number = longest(api)
    stream = request_id(number)
    records = await api.store.read_stream(stream)
    assert len(records) >= 5, "a request with a history"
    repository = api.khidma.runner.repository
    positions = [r.position for r in records]
    assert None not in positions
    token = auditor(api)
    for record in records:
        assert record.position is not None
        replayed = await repository.get(stream, record.version)
        assert isinstance(replayed, ServiceRequest)
        for bound in ({"p": record.position}, {"at": record.recorded_at.isoformat()}):
            body = await api.gql(STATE, token, n=number, **bound)
            state = body["data"]["requestAsOf"]
            assert state["__typename"] == "RequestState", (bound, body)
            assert state["position"] == record.position
            assert state["lastEvent"] == record.topic.rpartition(".")[2]
            got = {k: state[k] for k in expected_state(replayed, record.position)}
            assert got == expected_state(replayed, record.position), bound
    # Between two of its events, the request stands as the earlier left it.
    for earlier, later in itertools.pairwise(records):
        assert earlier.position is not None and later.position is not None
        if later.position - earlier.position > 1:
            body = await api.gql(STATE, token, n=number, p=earlier.position + 1)
            assert body["data"]["requestAsOf"]["version"] == earlier.version


async def test_request_history_has_every_event_with_who_where_when_and_what(api: Api) -> None:
    number = longest(api)
    records = sorted(
        [
            *await api.store.read_stream(request_id(number)),
            *await api.store.read_stream(Dispatch.id_for(number)),
        ],
        key=lambda r: r.position or 0,
    )
    body = await api.gql(HISTORY, auditor(api), n=number.lower())
    history = body["data"]["requestHistory"]
    assert history["__typename"] == "RequestHistory", body
    assert history["trackingNumber"] == number
    assert history["streamId"] == str(request_id(number))
    events = history["events"]
    assert [(e["position"], e["version"], e["topic"]) for e in events] == [
        (r.position, r.version, r.topic) for r in records
    ]
    for event, record in zip(events, records, strict=True):
        meta = record.metadata
        assert (event["actorId"], event["actorRole"], event["centre"], event["channel"]) == (
            meta.get("actor_id"),
            meta.get("actor_role"),
            meta.get("centre"),
            meta.get("channel"),
        )
        assert event["idempotencyKey"] == meta.get("idempotency_key")
        assert event["recordedAt"] == record.recorded_at.isoformat()
        assert len(bytes.fromhex(event["contentHash"])) == 32
    assert events[0]["name"] == "Submitted"
    service = await api.khidma.outbox.service(events[0]["data"]["service_code"])
    assert service is not None
    assert events[0]["text"]["en"].startswith(f"Request {number} filed ({service.name.en})")
    assert number in events[0]["text"]["ar"] and service.name.ar in events[0]["text"]["ar"]
    assert all(
        e["text"]["ar"] and e["text"]["en"] for e in events if e["streamId"] == history["streamId"]
    )
    assert events[0]["data"]["tracking_number"] == number
    assert "originator_id" not in events[0]["data"]


def matches(record: RecordedEvent, given: dict[str, Any], number: str) -> bool:
    meta = record.metadata
    return (
        ("trackingNumber" not in given or record.stream_id == request_id(number))
        and ("topic" not in given or record.topic.rpartition(".")[2] == given["topic"])
        and ("actorId" not in given or meta.get("actor_id") == given["actorId"])
        and ("centre" not in given or meta.get("centre") == given["centre"])
        and ("recordedFrom" not in given or record.recorded_at.isoformat() >= given["recordedFrom"])
        and ("recordedTo" not in given or record.recorded_at.isoformat() < given["recordedTo"])
    )


async def pages(api: Api, given: dict[str, Any] | None, first: int) -> list[int]:
    """Every position eventLog gives, following endCursor; fails on a gap or a double."""
    token, after, found = auditor(api), None, []
    while True:
        body = await api.gql(LOG, token, filter=given, first=first, after=after)
        log = body["data"]["eventLog"]
        assert log["__typename"] == "EventLogConnection", body
        found.extend(e["node"]["position"] for e in log["edges"])
        if not log["pageInfo"]["hasNextPage"]:
            return found
        assert len(log["edges"]) == first
        after = log["pageInfo"]["endCursor"]


async def test_event_log_filters_return_exactly_the_events_they_name(api: Api) -> None:
    everything = await api.store.read_all(0, 100_000)
    number = longest(api)
    mine = [r for r in everything if r.stream_id == request_id(number)]
    clerk = next(r.metadata["actor_id"] for r in mine if r.metadata.get("actor_role") == "clerk")
    centre = next(r.metadata["centre"] for r in mine if r.metadata.get("centre"))
    middle = everything[len(everything) // 2].recorded_at.isoformat()
    late = everything[-3].recorded_at.isoformat()
    cases: list[dict[str, Any]] = [
        {"trackingNumber": number},
        {"topic": "PaymentRecorded"},
        {"actorId": clerk},
        {"centre": centre},
        {"recordedFrom": middle, "recordedTo": late},
        {"actorId": clerk, "topic": "Certified"},
        {
            "trackingNumber": number,
            "centre": centre,
            "recordedFrom": mine[1].recorded_at.isoformat(),
        },
    ]
    for given in cases:
        expected = [r.position for r in everything if matches(r, given, number)]
        assert expected, given
        assert await pages(api, given, 7) == expected, given
    unfiltered = await pages(api, None, 200)
    assert unfiltered == [r.position for r in everything]


async def test_event_log_after_a_position(api: Api) -> None:
    body = await api.gql(LOG, auditor(api), first=3, afterPosition=10)
    log = body["data"]["eventLog"]
    assert [e["node"]["position"] for e in log["edges"]] == [11, 12, 13]
    after = log["pageInfo"]["endCursor"]
    body = await api.gql(LOG, auditor(api), first=2, after=after)
    assert [e["node"]["position"] for e in body["data"]["eventLog"]["edges"]] == [14, 15]


@pytest.mark.parametrize(
    "role", ["citizen", "clerk", "supervisor", "agency", "system", "anonymous"]
)
async def test_only_auditors_and_admins_may_read_history(api: Api, role: str) -> None:
    number = longest(api)
    token = None if role == "anonymous" else api.token(role, centre="HMS-01", agency="justice")
    for query, variables in (
        (LOG, {"first": 1}),
        (HISTORY, {"n": number}),
        (STATE, {"n": number, "p": 1}),
    ):
        body = await api.gql(query, token, **variables)
        assert body["data"] is None, (role, body)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    for allowed in (Role.AUDITOR, Role.ADMIN):
        body = await api.gql(HISTORY, api.token(allowed), n=number)
        assert body["data"]["requestHistory"]["__typename"] == "RequestHistory"


async def test_bad_arguments_name_the_field(api: Api) -> None:
    token, number = auditor(api), longest(api)
    nowhere = format_tracking_number("HMS", 2026, 9_999_999)
    head = await api.store.head()
    state_cases: list[tuple[dict[str, Any], str]] = [
        ({"n": number}, "position"),
        ({"n": number, "p": 3, "at": "2026-03-01T10:00:00+00:00"}, "position"),
        ({"n": number, "p": 0}, "position"),
        ({"n": number, "p": head + 1_000}, "position"),
        ({"n": number, "at": "2000-01-01T00:00:00+00:00"}, "at"),
        ({"n": "HMS-2026-1", "p": 3}, "trackingNumber"),
    ]
    for variables, field in state_cases:
        body = await api.gql(STATE, token, **variables)
        result = body["data"]["requestAsOf"]
        assert (result["__typename"], result["field"]) == ("ValidationError", field), variables
    for query, name in ((STATE, "requestAsOf"), (HISTORY, "requestHistory")):
        body = await api.gql(query, token, n=nowhere, p=1)
        assert body["data"][name] == {"__typename": "NotFound", "what": "request", "key": nowhere}
    log_cases: list[tuple[dict[str, Any], str]] = [
        ({"first": 0}, "first"),
        ({"first": 201}, "first"),
        ({"first": 5, "after": "nonsense"}, "after"),
        ({"first": 5, "after": "bG9nfDE=", "afterPosition": 1}, "afterPosition"),
        ({"first": 5, "afterPosition": -1}, "afterPosition"),
        ({"first": 5, "filter": {"actorId": "someone"}}, "filter.actorId"),
        ({"first": 5, "filter": {"topic": "Paid; --"}}, "filter.topic"),
        ({"first": 5, "filter": {"trackingNumber": "DAM-1"}}, "filter.trackingNumber"),
        (
            {
                "first": 5,
                "filter": {
                    "recordedFrom": "2026-03-02T00:00:00+00:00",
                    "recordedTo": "2026-03-01T00:00:00+00:00",
                },
            },
            "filter.recordedTo",
        ),
    ]
    for variables, field in log_cases:
        body = await api.gql(LOG, token, **variables)
        result = body["data"]["eventLog"]
        assert (result["__typename"], result["field"]) == ("ValidationError", field), variables
