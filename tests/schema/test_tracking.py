"""The tracking query reads a request and its timeline in one statement, with the same answer."""

from __future__ import annotations

import dataclasses

import httpx

from khidma.core.bootstrap import open_store
from khidma.schema.app import create_app

from .conftest import Api

ENTRY = "at event text { ar en } actorRole centre"
WITH_REQUEST = f"""query T($n: String!) {{
  request(trackingNumber: $n) {{ status timeline {{ {ENTRY} }} }}
}}"""
IN_FRAGMENT = f"""query T($n: String!) {{ request(trackingNumber: $n) {{ ...Steps }} }}
fragment Steps on Request {{ ... on Request {{ timeline {{ {ENTRY} }} }} }}"""
ALONE = f"query T($n: String!) {{ requestTimeline(trackingNumber: $n) {{ {ENTRY} }} }}"
NO_TIMELINE = "query T($n: String!) { request(trackingNumber: $n) { status } }"


async def test_the_timeline_read_with_its_request_is_the_same_timeline(api: Api) -> None:
    for filed in api.demo.requests:
        token = api.citizen(filed.national_number)
        alone = await api.gql(ALONE, token, n=filed.tracking_number)
        timeline = alone["data"]["requestTimeline"]
        assert timeline, filed
        for query in (WITH_REQUEST, IN_FRAGMENT):
            body = await api.gql(query, token, n=filed.tracking_number)
            assert body["data"]["request"]["timeline"] == timeline, (filed, query)
        other = await api.gql(WITH_REQUEST, api.citizen("99100000099"), n=filed.tracking_number)
        assert other == {"data": {"request": None}}


async def test_one_statement_with_the_timeline_and_without(api: Api) -> None:
    filed = api.demo.requests[0]
    token = api.citizen(filed.national_number)
    settings = dataclasses.replace(api.store.settings, pool_min_size=1, pool_max_size=1)
    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        app = create_app(store, positions=api.worker.positions, tokens=api.tokens)
        statements: list[str] = []
        conn = await store.pool.acquire()
        conn.add_query_logger(lambda logged: statements.append(logged.query))
        await store.pool.release(conn)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k") as c,
        ):
            counted = {}
            for name, query in (("timeline", WITH_REQUEST), ("status", NO_TIMELINE)):
                for _ in range(2):  # the first teaches asyncpg the column types
                    statements.clear()
                    response = await c.post(
                        "/graphql",
                        json={"query": query, "variables": {"n": filed.tracking_number}},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.json()["data"]["request"]["status"] == filed.status
                counted[name] = list(statements)
    assert len(counted["timeline"]) == 1 and "request_timeline" in counted["timeline"][0]
    assert len(counted["status"]) == 1 and "request_timeline" not in counted["status"][0]
