"""Every operation, for every role, against schema/PERMISSIONS.md (the role × operation table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLInputType, GraphQLList, GraphQLNonNull, GraphQLScalarType

from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import format_tracking_number
from khidma.schema.build import build_schema
from khidma.schema.context import Context
from khidma.schema.loaders import Loaders
from khidma.schema.permissions.table import (
    ANONYMOUS,
    COLUMNS,
    MUTATIONS,
    OPERATIONS,
    QUERIES,
    SUBSCRIPTIONS,
    markdown,
    may,
)

from .conftest import Api, key

PERMISSIONS_MD = Path(__file__).resolve().parents[2] / "schema" / "PERMISSIONS.md"
SCHEMA = build_schema()
GRAPHQL = SCHEMA._schema


def test_permissions_md_is_the_table() -> None:
    assert PERMISSIONS_MD.read_text(encoding="utf-8") == markdown() + "\n", (
        "schema/PERMISSIONS.md is stale: python -m khidma.schema.permissions.write"
    )


def test_every_operation_of_the_schema_is_in_the_table() -> None:
    in_schema = {
        f"{kind.name}.{field}"
        for kind in (GRAPHQL.query_type, GRAPHQL.mutation_type, GRAPHQL.subscription_type)
        for field in kind.fields
    }
    assert in_schema == set(OPERATIONS)


def _dummy(kind: GraphQLInputType, name: str, number: str) -> Any:
    while isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if name == "idempotencyKey":
        return key()
    if name == "trackingNumber":
        return number
    if isinstance(kind, GraphQLList):
        return []
    assert isinstance(kind, GraphQLScalarType), kind
    return {
        "String": "x",
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "ID": "x",
        "JSON": {},
        "Date": "2026-01-04",
    }[kind.name]


def _call(kind: str, name: str, number: str) -> tuple[str, dict[str, Any]]:
    field = getattr(GRAPHQL, f"{kind.lower()}_type").fields[name]
    required = {n: a for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
    if name == "recordAgencyAnswer":
        required = {**required, "acceptedReference": field.args["acceptedReference"]}
    variables = {n: _dummy(a.type, n, number) for n, a in required.items()}
    declared = ", ".join(f"${n}: {a.type}" for n, a in required.items())
    passed = ", ".join(f"{n}: ${n}" for n in required)
    head = f"{kind.lower()} Op({declared})" if declared else kind.lower()
    call = f"{name}({passed})" if passed else name
    return head, {"call": call, "variables": variables}


def _selection(kind: str, name: str) -> str:
    if kind == "Mutation":
        return "{ __typename ... on NotAllowed { message } }"
    output = GRAPHQL.query_type.fields[name].type
    while hasattr(output, "of_type"):
        output = output.of_type
    return "" if isinstance(output, GraphQLScalarType) else "{ __typename }"


def _token(api: Api, role: str) -> str | None:
    # A centre and an agency, so that refusals by scope (slow: see the report) are rare.
    return None if role == ANONYMOUS else api.token(role, centre="HMS-07", agency="justice")


# A well-formed tracking number of no request: commands the role may run answer NotFound.
NOWHERE = format_tracking_number("HMS", 2026, 9_999_999)


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_queries_for_every_role(api: Api, name: str) -> None:
    number = api.demo.requests[0].tracking_number
    head, call = _call("Query", name, number)
    query = f"{head} {{ {call['call']} {_selection('Query', name)} }}"
    for role in COLUMNS:
        body = await api.gql(query, _token(api, role), **call["variables"])
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        refused = "FORBIDDEN" in codes
        assert refused != may(role, f"Query.{name}"), (role, name, body)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_mutations_for_every_role(api: Api, name: str) -> None:
    head, call = _call("Mutation", name, NOWHERE)
    query = f"{head} {{ {call['call']} {_selection('Mutation', name)} }}"
    for role in COLUMNS:
        variables = {**call["variables"], "idempotencyKey": key()}
        body = await api.gql(query, _token(api, role), **variables)
        assert "errors" not in body, (role, name, body)
        result = body["data"][name]
        by_table = result["__typename"] == "NotAllowed" and (
            "role may not do this" in result["message"] or "sign in" in result["message"]
        )
        assert by_table != may(role, f"Mutation.{name}"), (role, name, result)


@pytest.mark.parametrize("name", sorted(SUBSCRIPTIONS))
async def test_subscriptions_for_every_role(api: Api, name: str) -> None:
    number = api.demo.requests[0].tracking_number
    head, call = _call("Subscription", name, number)
    query = f"{head} {{ {call['call']} {{ __typename }} }}"
    services = api.app.state.services
    for role in COLUMNS:
        token = _token(api, role)
        actor = None if token is None else services.tokens.verify(token)
        context = Context(services, actor, Loaders(services.store, services.directory))
        stream = await SCHEMA.subscribe(
            query, variable_values=call["variables"], context_value=context
        )
        if hasattr(stream, "__anext__"):
            first = await stream.__anext__()
            await stream.aclose()
        else:
            first = stream
        codes = [getattr(e, "extensions", None) or {} for e in first.errors or []]
        refused = any(c.get("code") == "FORBIDDEN" for c in codes)
        assert refused != may(role, f"Subscription.{name}"), (role, name, first)


def test_auditors_may_run_no_mutation() -> None:
    assert not any(may(Role.AUDITOR.value, f"Mutation.{m}") for m in MUTATIONS)
