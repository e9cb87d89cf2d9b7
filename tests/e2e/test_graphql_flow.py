"""A frontend's day, against the real server process over HTTP and WebSocket.

A citizen files and pays for a criminal-record certificate on the portal, the agency answers
later, a clerk certifies it and marks it ready, the citizen hears of it on the subscription,
and a first-degree relative collects it.

Three real processes: ``khidma sandbox`` (the payment company and the agencies, answering
later, with no rejections so the story is the same every run), ``khidma serve`` (the API, the
projections and the dispatcher, which takes the payment and the agency's answer from the
sandbox's signed callbacks), and ``khidma token`` for each person's token.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from khidma.core.app.demo_data import KHALED, SAMI, clerk_of
from tests.database import drop_schema, new_schema_name, test_database_url
from tests.e2e.test_cli import KHIDMA, clean_env, wait_healthy
from tests.ports import free_port

CLERK = clerk_of("HMS-01", "justice")
RELATIVE = KHALED
# The statuses of a request on its way to being issued (no agency rejects or asks here).
ISSUING = ["awaiting_payment", "paid", "sent_to_agency", "agency_processing", "issued"]


class Server:
    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.schema = new_schema_name()
        self.env = clean_env(
            KHIDMA_DATABASE_URL=test_database_url(),
            KHIDMA_DB_SCHEMA=self.schema,
            KHIDMA_DATA_DIR=str(tmp / "data"),
        )
        self.cwd = tmp
        self.url = f"http://127.0.0.1:{self.port}"

    def token(self, *args: str) -> str:
        """``khidma token`` as a developer runs it (the same key file as the server)."""
        done = subprocess.run(
            [*KHIDMA, "token", *args],
            cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("graphql")
    found = Server(tmp)
    sandbox_port = free_port()
    found.env |= {
        "KHIDMA_PORT": str(found.port),  # where the sandbox calls back
        "KHIDMA_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "KHIDMA_SANDBOX_PORT": str(sandbox_port),
    }
    loaded = subprocess.run(
        [*KHIDMA, "demo", "--no-serve"],
        cwd=tmp, env=found.env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    sandbox = subprocess.Popen(
        [*KHIDMA, "sandbox", "--rejection-rate", "0", "--info-rate", "0", "--callback-delay",
         "1", "--auto-pay"],
        cwd=tmp, env=found.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    process = subprocess.Popen(
        [*KHIDMA, "serve"],
        cwd=tmp, env=found.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_healthy(found.port, process)
        yield found
    finally:
        process.send_signal(signal.SIGTERM)
        sandbox.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        sandbox.wait(timeout=30)
        drop_schema(found.schema)
    assert process.returncode == 0, stderr


async def gql(
    client: httpx.AsyncClient, token: str | None, query: str, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def key() -> str:
    return f"e2e-{uuid.uuid4()}"


async def subscribe(url: str, token: str, number: str) -> AsyncIterator[dict[str, Any]]:
    ws: ClientConnection
    async with connect(
        url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:  # type: ignore[arg-type]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = (
            "subscription S($n: String!) { requestUpdated(trackingNumber: $n)"
            " { trackingNumber status timeline { event text { ar en } } } }"
        )
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"n": number}},
                }
            )
        )
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            yield message["payload"]["data"]["requestUpdated"]


async def test_a_criminal_record_from_the_portal_to_a_relative(server: Server) -> None:
    admin = server.token("--role", "admin")
    citizen = server.token("--role", "citizen", "--national-number", SAMI, "--channel", "portal")
    clerk = server.token(
        "--role", "clerk", "--staff-number", CLERK.staff_number, "--centre", "HMS-01",
        "--agency", "justice",
    )  # fmt: skip
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        # The catalog lets first-degree relatives collect this certificate from now on.
        updated = await gql(
            http, admin,
            """mutation U($key: String!) { updateService(idempotencyKey: $key,
                code: "justice.criminal_record",
                changes: {collectors: ["self", "first_degree_relative", "proxy"]}) {
                __typename ... on AdminPayload { service { collectors } } } }""",
            key=key(),
        )  # fmt: skip
        assert "first_degree_relative" in updated["updateService"]["service"]["collectors"]

        filed = await gql(
            http, citizen,
            """mutation F($key: String!) { submitRequest(idempotencyKey: $key,
                serviceCode: "justice.criminal_record", form: {purpose: "employment"},
                delivery: "pickup", pickupCentre: "HMS-01") {
                __typename ... on RequestPayload { request { trackingNumber status feeTotal } }
                ... on ValidationError { field message } } }""",
            key=key(),
        )  # fmt: skip
        request = filed["submitRequest"]["request"]
        number = request["trackingNumber"]
        assert request["status"] == "awaiting_payment"

        updates = subscribe(server.url, citizen, number)
        first = await asyncio.wait_for(anext(updates), 30)

        async def act(token: str, mutation: str, **arguments: Any) -> str:
            extra = "".join(f", {name}: {json.dumps(value)}" for name, value in arguments.items())
            data = await gql(
                http, token,
                f"""mutation A($key: String!, $n: String!) {{ {mutation}(idempotencyKey: $key,
                    trackingNumber: $n{extra}) {{ __typename
                    ... on RequestPayload {{ request {{ status }} }}
                    ... on ValidationError {{ field message }}
                    ... on InvalidTransition {{ message }} ... on NotAllowed {{ message }} }} }}""",
                key=key(), n=number,
            )  # fmt: skip
            result = data[mutation]
            assert result["__typename"] == "RequestPayload", (mutation, result)
            return result["request"]["status"]

        # The dispatcher opens the payment, the sandbox's bank pays and calls back, the
        # dispatcher files with the agency, whose answer comes back later: the citizen hears
        # of them on the subscription. It sends the request as it is when woken, so steps that
        # land together (in one projection batch) come as one update: a status may be skipped,
        # never reordered. The timeline, read at the end, has every step.
        heard = [first["status"]]
        while heard[-1] != "issued":
            heard.append((await asyncio.wait_for(anext(updates), 60))["status"])
        assert [ISSUING.index(h) for h in heard] == sorted(map(ISSUING.index, heard)), heard
        assert await act(clerk, "certifyDocument") == "certified"
        assert await act(clerk, "markReady") == "ready_for_pickup"

        while heard[-1] != "ready_for_pickup":
            heard.append((await asyncio.wait_for(anext(updates), 30))["status"])
        await updates.aclose()

        # The relative must be named as one; the clerk checks who takes the document.
        wrong = await gql(
            http, clerk,
            """mutation H($key: String!, $n: String!, $nn: String!) { handOver(
                idempotencyKey: $key, trackingNumber: $n, recipient: "self",
                recipientNationalNumber: $nn) { __typename } }""",
            key=key(), n=number, nn=RELATIVE,
        )  # fmt: skip
        assert wrong["handOver"]["__typename"] == "NotAllowed"
        assert await act(
            clerk, "handOver", recipient="first_degree_relative",
            recipientNationalNumber=RELATIVE, relation="father",
        ) == "collected"  # fmt: skip

        tracked = await gql(
            http,
            citizen,
            "query T($n: String!) { request(trackingNumber: $n) { status collectedBy"
            " timeline { event text { ar en } } } }",
            n=number,
        )
        assert tracked["request"]["status"] == "collected"
        events = [e["event"] for e in tracked["request"]["timeline"]]
        assert events[0] == "Submitted" and "Collected" in events
        assert {"PaymentRecorded", "SentToAgency"} <= set(events), events

        ready = await http.get("/readyz")
        assert ready.status_code == 200
        metrics = await http.get("/metrics")
        assert "khidma_http_requests_total" in metrics.text


async def test_the_legacy_graphql_ws_protocol_is_refused(server: Server) -> None:
    url = server.url.replace("http", "ws") + "/graphql"
    async with connect(url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol is None
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4406,
        "Subprotocol not acceptable",
    )


async def test_graphiql_is_served_without_the_internet(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "https://" not in page.text
        script = await http.get("/graphiql/graphiql.min.js")
        assert script.status_code == 200
