"""requestUpdated and queueBoard, fed by the process's one LISTEN connection."""

from __future__ import annotations

import asyncio
from typing import Any

from khidma.core.app.demo_data import HUDA
from khidma.schema.build import build_schema
from khidma.schema.context import Context
from khidma.schema.loaders import Loaders

from .conftest import Api, key
from .test_mutations import submit

SCHEMA = build_schema()
UPDATED = "subscription S($n: String!) { requestUpdated(trackingNumber: $n) { status } }"
TIMELINE = (
    "subscription S($n: String!) { requestUpdated(trackingNumber: $n)"
    " { status timeline { event } } }"
)
BOARD = "subscription B($c: String!) { queueBoard(centre: $c) { centre categories { waiting } } }"


def _context(api: Api, token: str | None) -> Context:
    services = api.app.state.services
    actor = services.tokens.verify(token) if token else None
    return Context(services, actor, Loaders(services.store, services.directory))


async def _stream(api: Api, query: str, token: str | None, **variables: Any) -> Any:
    stream = await SCHEMA.subscribe(
        query, variable_values=variables, context_value=_context(api, token)
    )
    assert hasattr(stream, "__anext__"), stream
    return stream


async def _next(stream: Any) -> dict[str, Any]:
    result = await asyncio.wait_for(stream.__anext__(), 15)
    assert not result.errors, result.errors
    return result.data


async def cancel(api: Api, citizen: str, number: str) -> None:
    cancelled = await api.gql(
        "mutation C($key: String!, $n: String!) { cancelRequest(idempotencyKey: $key,"
        ' trackingNumber: $n, reason: "changed my mind") { __typename } }',
        citizen,
        key=key(),
        n=number,
    )
    assert cancelled["data"]["cancelRequest"]["__typename"] == "RequestPayload"


async def test_many_subscribers_share_one_listen_connection(api: Api) -> None:
    citizen = api.citizen(HUDA)
    number = (await submit(api, citizen, key()))["request"]["trackingNumber"]
    streams = [await _stream(api, UPDATED, citizen, n=number) for _ in range(5)]
    for stream in streams:
        assert (await _next(stream))["requestUpdated"]["status"] == "awaiting_payment"
    listening = await api.store.pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE query = $1",
        f'LISTEN "khidma_projections_{api.store.settings.db_schema}"',
    )
    assert listening == 1
    await cancel(api, citizen, number)
    for stream in streams:
        assert (await _next(stream))["requestUpdated"]["status"] == "cancelled"
        await stream.aclose()


async def test_others_hear_nothing_of_a_request(api: Api) -> None:
    number = (await submit(api, api.citizen(HUDA), key()))["request"]["trackingNumber"]
    stream = await _stream(api, UPDATED, api.citizen("99100000099"), n=number)
    assert (await _next(stream))["requestUpdated"] is None
    await stream.aclose()


async def test_the_queue_board_follows_tickets(api: Api) -> None:
    stream = await _stream(api, BOARD, None, c="HMS-01")
    first = (await _next(stream))["queueBoard"]
    before = sum(c["waiting"] for c in first["categories"])
    taken = await api.gql(
        'mutation T($key: String!) { takeTicket(idempotencyKey: $key, category: "general",'
        ' centre: "HMS-01") { __typename } }',
        api.citizen(HUDA, channel="app"),
        key=key(),
    )
    assert taken["data"]["takeTicket"]["__typename"] == "QueuePayload"
    after = (await _next(stream))["queueBoard"]
    assert sum(c["waiting"] for c in after["categories"]) == before + 1
    await stream.aclose()


async def test_each_update_reads_the_timeline_anew(api: Api) -> None:
    """A subscription lives as long as its connection: its updates must not show what the
    connection's loaders read before."""
    citizen = api.citizen(HUDA)
    number = (await submit(api, citizen, key()))["request"]["trackingNumber"]
    stream = await _stream(api, TIMELINE, citizen, n=number)
    first = (await _next(stream))["requestUpdated"]
    assert first["timeline"][-1]["event"] == "FeeAssessed"
    await cancel(api, citizen, number)
    updated = (await _next(stream))["requestUpdated"]
    assert updated["status"] == "cancelled"
    assert [e["event"] for e in updated["timeline"]][-2:] == ["FeeAssessed", "Cancelled"]
    await stream.aclose()
