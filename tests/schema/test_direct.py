"""The direct way for plain JSON POSTs answers exactly as strawberry's view does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from khidma.core.domain.roles import Role
from khidma.schema.direct import Direct
from khidma.schema.view import KhidmaGraphQL

from .conftest import Api
from .test_queries import TRACK

PAGE = "{ requests(first: 2) { edges { node { trackingNumber } } } }"
TIMELINE = "query T($n: String!) { requestTimeline(trackingNumber: $n) { event } }"


@contextmanager
def strawberry_only(view: KhidmaGraphQL) -> Iterator[None]:
    direct, view.direct = view.direct, None
    try:
        yield
    finally:
        view.direct = direct


def cases(api: Api) -> list[tuple[str, Any, str | None, bool]]:
    """(name, JSON body, token, whether the direct way takes it)."""
    filed = api.demo.requests[0]
    mine = api.citizen(filed.national_number)
    n = filed.tracking_number
    track = {"query": TRACK, "variables": {"n": n}}
    return [
        ("own request", track, mine, True),
        ("someone else's", track, api.citizen("99100000099"), True),
        ("named operation", {**track, "operationName": "Track"}, mine, True),
        ("refused field", {"query": PAGE}, None, True),
        ("staff page", {"query": PAGE}, api.token(Role.AUDITOR), True),
        ("missing variable", {"query": TRACK}, mine, True),
        ("wrong variable", {"query": TRACK, "variables": {"n": 5}}, mine, True),
        ("second query", {"query": TIMELINE, "variables": {"n": n}}, mine, True),
        ("syntax error", {"query": "{ request("}, mine, False),
        ("invalid field", {"query": "{ nothing }"}, mine, False),
        ("unknown operation", {**track, "operationName": "Other"}, mine, False),
        ("no query", {"variables": {}}, mine, False),
        ("batch", [track], mine, False),
    ]


async def post(api: Api, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", json=body, headers=headers)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


async def test_every_case_answers_as_strawberry_does(api: Api) -> None:
    view = api.app.state.graphql
    assert isinstance(view.direct, Direct)
    taken: dict[str, bool] = {}
    answer = view.direct.answer

    async def spying(request: Any, body: bytes | None = None) -> Any:
        got = await answer(request, body)
        taken[name] = got is not None
        return got

    view.direct.answer = spying
    try:
        for name, body, token, direct in cases(api):
            ours = await post(api, body, token)
            with strawberry_only(view):
                theirs = await post(api, body, token)
            assert ours == theirs, name
            assert taken[name] is direct, name
    finally:
        del view.direct.answer
    own = (await post(api, cases(api)[0][1], cases(api)[0][2]))[1]
    assert own["data"]["request"]["timeline"]


async def test_a_bad_token_is_refused_the_same_way(api: Api) -> None:
    body = {"query": TRACK, "variables": {"n": api.demo.requests[0].tracking_number}}
    ours = await post(api, body, "not-a-token")
    with strawberry_only(api.app.state.graphql):
        theirs = await post(api, body, "not-a-token")
    assert ours == theirs
    assert ours[0] == 401


@pytest.mark.parametrize("accept", ["multipart/mixed", "text/event-stream"])
async def test_streaming_requests_are_left_to_strawberry(api: Api, accept: str) -> None:
    view = api.app.state.graphql
    called: list[bool] = []
    answer = view.direct.answer

    async def spying(request: Any, body: bytes | None = None) -> Any:
        got = await answer(request, body)
        called.append(got is not None)
        return got

    view.direct.answer = spying
    try:
        await api.client.post(
            "/graphql", json={"query": "{ services { code } }"}, headers={"Accept": accept}
        )
    finally:
        del view.direct.answer
    assert called == [False]
