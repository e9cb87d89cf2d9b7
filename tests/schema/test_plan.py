"""Compiled plans answer exactly as graphql-core does, and cover only the shapes they can."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import strawberry
from graphql import get_operation_ast, parse
from graphql.execution.values import VariableValues, get_variable_values

from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.schema.build import build_schema
from khidma.schema.direct import Direct
from khidma.schema.plan import Plan, compile_plan

from .conftest import Api
from .test_queries import TRACK

PIECES = """query P($n: String!) {
  first: request(trackingNumber: $n) { ...Steps __typename }
  again: request(trackingNumber: $n) { status feeTotal dueOn submittedAt }
  __typename
}
fragment Steps on Request {
  trackingNumber
  ... on Request { timeline { at event text { ar en } actorRole centre } }
  processingCentre { code name { en } hours { __typename } }
}"""
PAGE = """{ requests(first: 3) {
  edges { cursor node { trackingNumber service { code name { ar } } pickupCentre { code } } }
  pageInfo { hasNextPage endCursor }
} }"""
SERVICES = "{ services { code name { ar en } collectors delivery } centres { code services } }"
TIMELINE = "query T($n: String!) { requestTimeline(trackingNumber: $n) { at event text { en } } }"


@contextmanager
def compiled(direct: Direct, on: bool) -> Iterator[None]:
    """Plans on or off (graphql-core executes every query), from a fresh cache."""
    direct._prepared.clear()
    direct.compiled = on
    try:
        yield
    finally:
        direct.compiled = True
        direct._prepared.clear()


async def post(api: Api, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await api.client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.json()


async def answered_by_plan(api: Api, body: dict[str, Any], token: str | None) -> bool:
    """Whether the plan of the query answered (rather than left it to graphql-core)."""
    direct = api.app.state.graphql.direct
    await post(api, body, token)
    prepared = direct._prepared[(body["query"], None)]
    plan = prepared[1] if prepared else None
    if plan is None:
        return False
    answers: list[Any] = []
    run = plan.run

    async def spying(*args: Any) -> Any:
        answers.append(await run(*args))
        return answers[-1]

    plan.run = spying
    try:
        await post(api, body, token)
    finally:
        del plan.run
    return answers[0] is not None


def cases(api: Api) -> list[tuple[str, dict[str, Any], str | None]]:
    filed = api.demo.requests[0]
    mine = api.citizen(filed.national_number)
    n = {"n": filed.tracking_number}
    auditor = api.token(Role.AUDITOR)
    return [
        ("tracking", {"query": TRACK, "variables": n}, mine),
        ("fragments, aliases, __typename", {"query": PIECES, "variables": n}, mine),
        ("someone else's", {"query": PIECES, "variables": n}, api.citizen("99100000099")),
        ("staff page", {"query": PAGE}, auditor),
        ("refused page", {"query": PAGE}, None),
        ("lists of scalars", {"query": SERVICES}, mine),
        ("timeline alone", {"query": TIMELINE, "variables": n}, mine),
        ("not a tracking number", {"query": TIMELINE, "variables": {"n": "nothing"}}, mine),
        ("wrong variable", {"query": TRACK, "variables": {"n": 5}}, mine),
        ("missing variable", {"query": TRACK}, mine),
    ]


async def test_plans_answer_as_graphql_core(api: Api) -> None:
    direct = api.app.state.graphql.direct
    assert isinstance(direct, Direct)
    for name, body, token in cases(api):
        with compiled(direct, True):
            ours = await post(api, body, token)
            again = await post(api, body, token)  # the plan from the cache
        with compiled(direct, False):
            theirs = await post(api, body, token)
        assert ours == theirs == again, name
    by_plan = {name: await answered_by_plan(api, body, token) for name, body, token in cases(api)}
    assert [name for name, taken in by_plan.items() if not taken] == [
        "refused page",  # the permission refuses: graphql-core reports it
        "wrong variable",
        "missing variable",
    ]
    answered = (await post(api, *cases(api)[1][1:]))[1]["data"]
    assert answered["first"]["timeline"] and answered["__typename"] == "Query"
    refused = (await post(api, *cases(api)[4][1:]))[1]
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def plan_of(query: str) -> Plan | None:
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    return compile_plan(build_schema(Settings()), document, operation)


@pytest.mark.parametrize("query", [TRACK, PIECES, PAGE, SERVICES, TIMELINE, "{ __typename }"])
def test_queries_are_compiled(query: str) -> None:
    assert isinstance(plan_of(query), Plan)


@pytest.mark.parametrize(
    "query",
    [
        "mutation { __typename }",
        "query T($n: String!, $t: Boolean!) { request(trackingNumber: $n) {"
        " status timeline @include(if: $t) { event } } }",
        '{ node(id: "x") { id } }',  # an interface: graphql-core resolves the type
        "{ __schema { queryType { name } } }",
    ],
)
def test_other_shapes_are_left_to_graphql_core(query: str) -> None:
    assert plan_of(query) is None


@strawberry.type
class Item:
    name: str


@strawberry.type
class Toy:
    @strawberry.field
    async def items(self) -> list[Item]:
        return [Item(name="a"), Item(name="b")]

    @strawberry.field
    def broken(self) -> Item:
        return Item(name=None)  # type: ignore[arg-type] (None where String! is promised)

    @strawberry.field
    async def fails(self) -> str | None:
        raise ValueError("no")


@pytest.mark.parametrize(
    ("query", "data"),
    [
        ("{ items { name } }", {"items": [{"name": "a"}, {"name": "b"}]}),
        ("{ broken { name } }", None),  # graphql-core propagates the null and reports it
        ("{ fails }", None),
        ("{ items { name } fails }", None),  # the other field's work is abandoned, not leaked
    ],
)
async def test_a_plan_leaves_what_goes_wrong_to_graphql_core(query: str, data: Any) -> None:
    schema = strawberry.Schema(query=Toy)
    document = parse(query)
    operation = get_operation_ast(document)
    assert operation is not None
    plan = compile_plan(schema, document, operation)
    assert plan is not None
    assert await plan.run(None, Toy(), None, None) == data


VARIABLES = "query V($n: String!, $m: ID, $k: String) { request(trackingNumber: $n) { status } }"


@pytest.mark.parametrize(
    "given",
    [
        {"n": "DAM-2026-0000001-2", "m": "7", "k": "x"},
        {"n": "x"},
        {"n": "x", "m": None},
        {"n": "x", "m": 7},
        {"n": 5},
        {"m": "7"},
        {},
    ],
)
def test_variables_are_coerced_as_graphql_core_does(given: dict[str, Any]) -> None:
    schema = build_schema(Settings())
    document = parse(VARIABLES)
    operation = get_operation_ast(document)
    assert operation is not None
    plan = compile_plan(schema, document, operation)
    assert plan is not None
    ours = plan._coerce(given)
    theirs = get_variable_values(schema._schema, operation.variable_definitions, given)
    if isinstance(theirs, list):
        assert isinstance(ours, list)
        assert [e.formatted for e in ours] == [e.formatted for e in theirs]
    else:
        assert isinstance(ours, VariableValues)
        assert ours.coerced == theirs.coerced
        assert shown(ours.sources) == shown(theirs.sources)


def shown(sources: dict[str, Any]) -> dict[str, Any]:
    """Sources comparable (graphql-core makes a new, unequal, non-null wrapper each time)."""
    return {
        name: (s.signature.name, str(s.signature.type), s.signature.default, s.value)
        for name, s in sources.items()
    }
