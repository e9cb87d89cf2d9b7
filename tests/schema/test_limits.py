"""Limits (depth, tokens, aliases), APQ, GraphiQL from local assets, /readyz, /metrics."""

from __future__ import annotations

import hashlib

from khidma.core.config import Settings
from khidma.schema.build import build_schema
from khidma.schema.limits import Checks, Limits

from .conftest import Api


async def test_too_many_tokens_or_aliases_are_refused(api: Api) -> None:
    fine = "{ centres { queueBoard { categories { name { ar } } } } }"
    assert "errors" not in await api.gql(fine)
    aliases = "{ " + " ".join(f"a{i}: services {{ code }}" for i in range(30)) + " }"
    body = await api.gql(aliases)
    assert "aliases" in body["errors"][0]["message"].lower()
    tokens = "{ services { " + "code " * 3000 + "} }"
    body = await api.gql(tokens)
    assert "token" in body["errors"][0]["message"].lower()


async def test_depth_limit(api: Api) -> None:
    query = "{ " + 'node(id: "x") { ... on Centre { ' * 11 + "code" + " } }" * 11 + " }"
    body = await api.gql(query)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_persisted_queries_by_hash(api: Api) -> None:
    query = "{ services { code name { ar } } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = await api.client.post("/graphql", json={"extensions": extensions})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await api.client.post("/graphql", json={"query": query, "extensions": extensions})
    assert registered.json()["data"]["services"]
    by_hash = await api.client.post("/graphql", json={"extensions": extensions})
    assert by_hash.json() == registered.json()
    wrong = await api.client.post(
        "/graphql", json={"query": "{ centres { code } }", "extensions": extensions}
    )
    assert "does not match" in wrong.json()["errors"][0]["message"]


async def test_graphiql_is_served_with_its_assets_locally(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "https://" not in page.text
    for asset in ("graphiql.min.js", "graphiql.min.css", "react.production.min.js"):
        assert f"/graphiql/{asset}" in page.text
        got = await api.client.get(f"/graphiql/{asset}")
        assert got.status_code == 200 and len(got.content) > 1000


async def test_readyz_and_metrics(api: Api) -> None:
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["projections"]) >= {"requests", "request_timeline", "queue_board"}
    await api.gql("{ services { code } }")
    metrics = (await api.client.get("/metrics")).text
    assert 'khidma_http_requests_total{method="POST",path="/graphql",status="200"}' in metrics
    assert 'khidma_projection_lag_events{projection="requests"}' in metrics
    assert "khidma_http_request_seconds_bucket" in metrics
    assert "khidma_dispatcher_failures_total" in metrics


async def test_a_query_text_is_parsed_and_validated_once() -> None:
    schema = build_schema(Settings())
    checks = schema.extensions[0]
    assert isinstance(checks, Checks) and isinstance(checks(), Limits)
    query = "{ __typename }"
    before = checks.check.cache_info()  # type: ignore[attr-defined]
    for _ in range(3):
        result = await schema.execute(query)
        assert result.errors is None
    after = checks.check.cache_info()  # type: ignore[attr-defined]
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
    bad = await schema.execute("{ nothing }")
    assert bad.errors and "nothing" in bad.errors[0].message
