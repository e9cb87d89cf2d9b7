"""DataLoaders: a page of 50 requests with their service, centres and timelines costs a few
statements, not one per request (N+1), counted on the connections of the API's own pool."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx

from khidma.core.app.demo_data import HUDA, KHALED, SAMI
from khidma.core.bootstrap import open_store
from khidma.core.domain.roles import Role
from khidma.schema.app import create_app
from khidma.schema.loaders import Loaders

from .conftest import Api, key
from .test_mutations import submit

PAGE = """{ requests(first: 50) { edges { node {
    trackingNumber status service { code name { ar en } }
    processingCentre { code name { en } } pickupCentre { code }
    timeline { event text { ar } } } } pageInfo { hasNextPage } } }"""


async def test_a_page_of_fifty_requests_takes_a_few_statements(api: Api) -> None:
    people = [api.citizen(n) for n in (HUDA, KHALED, SAMI)]
    for i in range(50):
        filed = await submit(api, people[i % 3], key())
        assert filed["__typename"] == "RequestPayload", filed

    settings = dataclasses.replace(api.store.settings, pool_min_size=2, pool_max_size=2)
    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        app = create_app(store, positions=api.worker.positions, tokens=api.tokens)
        statements: list[str] = []
        held = [await store.pool.acquire() for _ in range(2)]
        for conn in held:
            conn.add_query_logger(lambda logged: statements.append(logged.query))
        for conn in held:
            await store.pool.release(conn)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://k"
            ) as client,
        ):
            await _post(client, api.token(Role.AUDITOR))  # asyncpg learns the column types
            statements.clear()
            body = await _post(client, api.token(Role.AUDITOR))
    edges = body["data"]["requests"]["edges"]
    assert len(edges) == 50
    assert all(e["node"]["service"] and e["node"]["timeline"] for e in edges)
    assert all(e["node"]["processingCentre"]["name"]["en"] for e in edges)
    # The page, the timelines (one batch), the catalog and the centres (shared aggregates,
    # each one look-up): a handful, whatever the page size.
    assert len(statements) <= 6, statements


async def _post(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": PAGE}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body


async def test_a_request_makes_only_the_loaders_it_uses(api: Api) -> None:
    loaders = Loaders(api.store, api.app.state.services.directory)
    assert not {"request", "tracked", "timeline", "board", "service", "centre"} & set(vars(loaders))
    first = loaders.timeline
    assert loaders.timeline is first
    assert set(vars(loaders)) & {"request", "timeline", "board", "service", "centre"} == {
        "timeline"
    }
    assert await first.load(uuid.uuid4()) == []
