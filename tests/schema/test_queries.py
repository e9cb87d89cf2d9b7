"""Queries over the projections, as each role sees them."""

from __future__ import annotations

from khidma.core.app.demo_data import CENTRES
from khidma.core.domain.roles import Role

from .conftest import Api

TRACK = """
query Track($n: String!) {
  request(trackingNumber: $n) {
    id trackingNumber status feeTotal
    service { code name { ar en } collectors fee(governorate: "HMS") { total } }
    processingCentre { code name { ar en } status }
    timeline { event text { ar en } }
  }
}
"""


def _filed(api: Api, status: str) -> tuple[str, str]:
    found = next(r for r in api.demo.requests if r.status == status)
    return found.tracking_number, found.national_number


async def test_a_citizen_tracks_their_request_with_its_timeline(api: Api) -> None:
    number, national = _filed(api, "awaiting_payment")
    body = await api.gql(TRACK, api.citizen(national), n=number)
    request = body["data"]["request"]
    assert request["trackingNumber"] == number
    assert request["status"] == "awaiting_payment"
    assert request["service"]["name"]["ar"] and request["service"]["name"]["en"]
    assert request["service"]["fee"]["total"] >= request["service"]["fee"]["total"] > 0
    assert request["timeline"][0]["text"]["ar"]
    assert request["processingCentre"]["name"]["ar"]


async def test_another_citizen_and_other_agencies_do_not_see_it(api: Api) -> None:
    number, _ = _filed(api, "awaiting_payment")
    other = await api.gql(TRACK, api.citizen("99100000099"), n=number)
    assert other["data"]["request"] is None
    agency = await api.gql(TRACK, api.token(Role.AGENCY, agency="no_such_agency"), n=number)
    assert agency["data"]["request"] is None
    auditor = await api.gql(TRACK, api.token(Role.AUDITOR), n=number)
    assert auditor["data"]["request"]["trackingNumber"] == number


async def test_services_and_centres_are_public_and_bilingual(api: Api) -> None:
    body = await api.gql(
        "{ services { code name { ar en } agencyFee turnaroundDays collectors }"
        "  centres { code name { ar en } status hours { day opens closes } queueBoard { open } } }"
    )
    assert "errors" not in body, body
    assert len(body["data"]["centres"]) == len(CENTRES)
    assert all(s["name"]["ar"] and s["name"]["en"] for s in body["data"]["services"])
    assert any(c["queueBoard"] is not None for c in body["data"]["centres"])


async def test_anonymous_may_not_track(api: Api) -> None:
    number, _ = _filed(api, "awaiting_payment")
    body = await api.gql(TRACK, n=number)
    assert body["data"] is None or body["data"]["request"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_me_and_my_requests(api: Api) -> None:
    number, national = _filed(api, "awaiting_payment")
    body = await api.gql(
        "{ me { citizenId nationalNumber firstName { ar en } profileComplete }"
        "  myRequests(first: 10) { edges { node { trackingNumber } } pageInfo { hasNextPage } } }",
        api.citizen(national),
    )
    assert body["data"]["me"]["nationalNumber"] == national
    # The id a token carries as its subject: khidma's, random, not derived from the number.
    assert body["data"]["me"]["citizenId"] == str(api.demo.citizen_ids[national])
    numbers = [e["node"]["trackingNumber"] for e in body["data"]["myRequests"]["edges"]]
    assert number in numbers


async def test_requests_pages_follow_their_cursor(api: Api) -> None:
    query = """query Page($after: String) { requests(first: 3, after: $after) {
        edges { cursor node { trackingNumber } } pageInfo { hasNextPage endCursor } } }"""
    token = api.token(Role.AUDITOR)
    seen: list[str] = []
    after = None
    while True:
        page = (await api.gql(query, token, after=after))["data"]["requests"]
        seen += [e["node"]["trackingNumber"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(r.tracking_number for r in api.demo.requests)
    assert len(set(seen)) == len(seen)


async def test_clerks_see_their_centre_and_agency_supervisors_their_governorate(api: Api) -> None:
    query = (
        "{ requests(first: 100) { edges { node {"
        " trackingNumber processingCentreCode agencyCode } } } }"
    )
    number, _ = _filed(api, "awaiting_payment")  # justice at HMS-01
    supervisor = await api.gql(query, api.token(Role.SUPERVISOR, centre="HMS-02"))
    nodes = [e["node"] for e in supervisor["data"]["requests"]["edges"]]
    assert nodes and all(n["processingCentreCode"].startswith("HMS-") for n in nodes)
    clerk = await api.gql(query, api.token(Role.CLERK, centre="HMS-01", agency="justice"))
    nodes = [e["node"] for e in clerk["data"]["requests"]["edges"]]
    assert number in [n["trackingNumber"] for n in nodes]
    assert all(n["agencyCode"] == "justice" for n in nodes)
    elsewhere = await api.gql(query, api.token(Role.CLERK, centre="DAM-01", agency="justice"))
    assert number not in [
        e["node"]["trackingNumber"] for e in elsewhere["data"]["requests"]["edges"]
    ]


async def test_node_fetches_again_by_global_id(api: Api) -> None:
    number, national = _filed(api, "awaiting_payment")
    token = api.citizen(national)
    first = (await api.gql(TRACK, token, n=number))["data"]["request"]
    again = await api.gql(
        "query N($id: ID!) { node(id: $id) { id ... on Request { trackingNumber } } }",
        token,
        id=first["id"],
    )
    assert again["data"]["node"]["trackingNumber"] == number


async def test_stats_and_backlog(api: Api) -> None:
    today = api.demo.today.isoformat()
    body = await api.gql(
        "query S($d: Date!) { centreStats(start: $d, end: $d) { services { centre submitted }"
        " visits { centre tickets } } agencyBacklog { total items { trackingNumber } } }",
        api.token(Role.ADMIN),
        d=today,
    )
    assert "errors" not in body, body
    assert sum(s["submitted"] for s in body["data"]["centreStats"]["services"]) >= 1
    assert body["data"]["agencyBacklog"]["total"] == len(body["data"]["agencyBacklog"]["items"])


async def test_a_bad_token_is_refused(api: Api) -> None:
    response = await api.client.post(
        "/graphql", json={"query": "{ services { code } }"}, headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401
