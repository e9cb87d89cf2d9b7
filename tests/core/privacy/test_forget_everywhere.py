"""After forgetCitizen no table, no export and no GraphQL answer holds that citizen's data.

A citizen with distinctive names registers and completes a profile at a counter, files two
requests (form data, a home address, an answer to the agency, one handed over to a
relative), the projections run and a checkpoint is signed; then an admin forgets them over
GraphQL. Every text, JSON and bytea column of every table of the schema, and the audit
export (its events' data decoded), are searched for the names, the phone and the national
number (Western and Arabic-Indic digits): none is found; no row links the number to the
citizen's (random) id, and the id once derived from the number is nowhere. The log still
verifies, the counts and turnarounds stay, the requests stay without personal data, and a
rebuild agrees.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from khidma.core.app import Actor, Khidma
from khidma.core.audit.export import export
from khidma.core.audit.seal import Sealer
from khidma.core.audit.signing import load_signer
from khidma.core.audit.verify import audit
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import request_id
from khidma.core.events import EventStore
from khidma.core.privacy import numbers_of
from khidma.projections.registry import projections
from khidma.projections.replay import rebuild
from khidma.projections.worker import ProjectionWorker
from khidma.schema.app import create_app
from khidma.schema.auth import Tokens
from tests.core.app.conftest import FixedClock
from tests.core.app.request_world import ARABIC, BIRTH, CIVIL, HOMS, RELATIVE_NN, World, seed

NN = "05511223344"
PHONE = "0944556677"
EMAIL = "zenobia.palmyrene@example.sy"
PERSON = {
    "first_name_ar": "زنوبيا",
    "first_name_en": "Zenobia",
    "last_name_ar": "التدمرية",
    "last_name_en": "Palmyrene",
}
PROFILE = {
    "father_name": "أذينة",
    "mother_name": "بتسابا",
    "birth_date": date(1985, 7, 14),
    "birth_place": "حماة",
    "registry_place": "حماة",
    "address_governorate": "HMS",
    "address_city": "حمص",
    "address_street": "زقاق الياسمين",
}
HOME = "حارة القنديل بناء ٧"
# What must not be found anywhere once the citizen is forgotten.
TRACES = (
    *PERSON.values(),
    PROFILE["father_name"],
    PROFILE["mother_name"],
    PROFILE["address_street"],
    HOME,
    NN,
    NN.translate(ARABIC),
    PHONE[1:],
    EMAIL,
)
TEXT_TYPES = ("text", "character varying", "jsonb", "json", "bytea", "ARRAY")
# Citizen ids were uuid5(this public namespace, national number) until issue 7: anyone could
# recompute a forgotten citizen's id from the number. That id must be nowhere.
OLD_NAMESPACE = uuid.UUID("8f3d2a61-4c0e-4b7a-9e55-1d6c2f0b7a19")
DERIVED = uuid.uuid5(OLD_NAMESPACE, NN)

REQUEST = """query Track($n: String!) { request(trackingNumber: $n) {
  trackingNumber status collectedBy informationRequested feeTotal closedAt
  timeline { text { ar en } } } }"""
FORGET = """mutation Forget($key: String!, $nn: String!, $reason: String!) {
  forgetCitizen(idempotencyKey: $key, nationalNumber: $nn, reason: $reason) {
    __typename
    ... on AdminPayload { result }
    ... on ValidationError { field message }
    ... on NotFound { what key }
    ... on NotAllowed { action message }
  } }"""


@dataclasses.dataclass
class Scene:
    world: World
    worker: ProjectionWorker
    client: httpx.AsyncClient
    tokens: Tokens
    sealer: Sealer
    settings: Settings

    @property
    def store(self) -> EventStore:
        return self.world.store

    async def caught_up(self) -> None:
        """Every event written so far logged, and every projection past it."""
        written = await self.store.pool.fetchval("SELECT count(*) FROM events")
        await self.store.wait_for(written, timeout=60)
        await self.worker.wait_for_all(written, timeout=60)

    async def gql(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
async def scene(settings: Settings, tmp_path: Path) -> AsyncIterator[Scene]:
    # A snapshot every other event, so the citizen's and the requests' snapshots are searched
    # too; keys in this test's directory.
    settings = dataclasses.replace(
        settings, data_dir=tmp_path, snapshot_every=2, checkpoint_dir=tmp_path / "cp"
    )
    assert settings.database_url
    async with open_store(settings.database_url, settings) as store:
        world = await seed(Khidma(store, FixedClock()))
        worker = ProjectionWorker(store)
        await worker.start()
        tokens = Tokens(settings)
        app = create_app(
            store, settings.database_url, positions=worker.positions, khidma=world.khidma,
            tokens=tokens,
        )  # fmt: skip
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://k") as client:
                    sealer = Sealer(store, settings, load_signer(settings))
                    yield Scene(world, worker, client, tokens, sealer, settings)
        finally:
            await worker.stop()


async def live_a_life(world: World) -> list[str]:
    """The citizen's account and two requests, through the command handlers."""
    clerk, registry = world.staff["homs_civil"], world.agency(CIVIL)
    citizens, requests, clock = world.khidma.citizens, world.requests, world.khidma.runner.clock
    nn = NN.translate(ARABIC)
    await citizens.register_citizen(clerk, world.key(), national_number=nn, **PERSON)
    await citizens.complete_profile(
        clerk, world.key(), national_number=NN, phone=PHONE.translate(ARABIC), **PROFILE
    )
    await citizens.change_email(clerk, world.key(), email=EMAIL, national_number=NN)
    collected = await requests.submit(
        clerk, world.key(), service_code=BIRTH, national_number=NN, delivery="pickup",
        pickup_centre=HOMS, form={"copies": 2, "remarks": PERSON["first_name_ar"]},
    )  # fmt: skip
    number = collected["tracking_number"]
    await world.pay(number, collected["fee_total"])
    await requests.forward(clerk, world.key(), number)
    assert isinstance(clock, FixedClock)
    clock.advance(days=1)
    await requests.record_agency_answer(registry, world.key(), number, document_reference="B-1")
    await requests.certify(clerk, world.key(), number)
    await requests.mark_ready(clerk, world.key(), number)
    await requests.hand_over(
        clerk, world.key(), number, recipient="first_degree_relative",
        recipient_national_number=RELATIVE_NN, relation="father",
    )  # fmt: skip
    home = await requests.submit(
        clerk, world.key(), service_code=BIRTH, national_number=NN, delivery="home",
        home_address=HOME, form={"copies": 1},
    )  # fmt: skip
    other = home["tracking_number"]
    await world.pay(other, home["fee_total"])
    await requests.forward(clerk, world.key(), other)
    await requests.ask_for_information(registry, world.key(), other, what="صورة الهوية")
    await requests.provide_information(
        clerk, world.key(), other, answer={"remarks": PERSON["last_name_ar"]}
    )
    return [number, other]


async def found_in_tables(pool: asyncpg.Pool, schema: str) -> dict[str, list[str]]:
    """Each trace found in some column of some table of ``schema``: "table.column" places."""
    columns = await pool.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " JOIN information_schema.tables USING (table_schema, table_name)"
        " WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND data_type = ANY($2)",
        schema,
        list(TEXT_TYPES),
    )
    assert {"events", "snapshots", "commands", "subject_keys"} <= {c["table_name"] for c in columns}
    found: dict[str, list[str]] = {}
    for table, column, kind in columns:
        if kind == "bytea":
            values = await pool.fetch(f'SELECT "{column}" AS v FROM "{schema}"."{table}"')
            texts = [bytes(r["v"]).decode("utf-8", "ignore") for r in values if r["v"]]
        else:
            values = await pool.fetch(f'SELECT "{column}"::text AS v FROM "{schema}"."{table}"')
            texts = [r["v"] for r in values if r["v"]]
        for trace in TRACES:
            if any(trace in text for text in texts):
                found.setdefault(trace, []).append(f"{table}.{column}")
    return found


async def places_of_value(pool: asyncpg.Pool, schema: str, value: uuid.UUID) -> list[str]:
    """Every "table.column" of ``schema`` (of any type) holding ``value`` in any of its forms."""
    forms = (str(value).encode(), value.hex.encode(), value.bytes)
    columns = await pool.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " JOIN information_schema.tables USING (table_schema, table_name)"
        " WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
        schema,
    )
    places = []
    for table, column, kind in columns:
        if kind == "bytea":
            values = await pool.fetch(f'SELECT "{column}" AS v FROM "{schema}"."{table}"')
            found = any(f in bytes(r["v"]) for r in values if r["v"] for f in forms)
        else:
            found = await pool.fetchval(
                f'SELECT EXISTS (SELECT 1 FROM "{schema}"."{table}"'
                f' WHERE strpos("{column}"::text, $1) > 0 OR strpos("{column}"::text, $2) > 0)',
                str(value),
                value.hex,
            )
        if found:
            places.append(f"{table}.{column}")
    return places


async def exported(pool: asyncpg.Pool) -> str:
    out = io.BytesIO()
    await export(pool, out)
    return out.getvalue().decode()


async def found_in_export(pool: asyncpg.Pool) -> list[str]:
    out = io.BytesIO()
    await export(pool, out)
    texts = []
    for line in out.getvalue().splitlines():
        record = orjson.loads(line)
        texts.append(line.decode())
        if record.get("kind") == "event":
            texts.append(base64.b64decode(record["data"]).decode("utf-8", "ignore"))
            texts.append(orjson.dumps(record.get("metadata")).decode())
    return [t for t in TRACES if any(t in text for text in texts)]


async def stats(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pool.fetch("SELECT * FROM centre_daily_stats ORDER BY 1, 2")
    return [dict(r) for r in rows]


async def test_a_forgotten_citizen_is_nowhere_but_the_facts_stay(scene: Scene) -> None:
    world, pool = scene.world, scene.store.pool
    numbers = await live_a_life(world)
    await scene.caught_up()
    assert await scene.sealer.seal_once(force=True) is not None
    before = await stats(pool)
    snapshotted = await pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM snapshots WHERE stream_id = ANY($1)",
        [(await world.load(n)).citizen_id for n in numbers[:1]] + [request_id(n) for n in numbers],
    )
    assert snapshotted == 3, "the citizen's and the requests' snapshots are searched too"
    requests_before = {
        r["tracking_number"]: dict(r)
        for r in await pool.fetch("SELECT * FROM requests WHERE tracking_number = ANY($1)", numbers)
    }
    # The test can fail: before forgetting, the data is there to be found (in clear in the
    # command results kept for retries; sealed everywhere else), and the number is linked.
    assert set(await found_in_tables(pool, scene.settings.db_schema)) >= {NN}
    linked = await world.citizen_id(NN)
    assert linked is not None
    assert "citizen_numbers.citizen_id" in await places_of_value(
        pool, scene.settings.db_schema, linked
    )
    auditor = scene.tokens.mint(Role.AUDITOR, uuid.uuid4())
    admin = scene.tokens.mint(Role.ADMIN, uuid.uuid4())

    written = await pool.fetchval("SELECT count(*) FROM events")
    refused = await scene.gql(FORGET, admin, key="forget-0", nn=NN, reason=" ")
    assert refused["forgetCitizen"]["__typename"] == "ValidationError"
    assert refused["forgetCitizen"]["field"] == "reason"
    supervisor = scene.tokens.mint(Role.SUPERVISOR, uuid.uuid4(), centre=HOMS)
    refused = await scene.gql(FORGET, supervisor, key="forget-0", nn=NN, reason="r")
    assert refused["forgetCitizen"]["__typename"] == "NotAllowed"
    refused = await scene.gql(FORGET, admin, key="forget-0", nn="09999999999", reason="r")
    assert refused["forgetCitizen"]["__typename"] == "NotFound"
    assert await pool.fetchval("SELECT count(*) FROM events") == written

    forgot = await scene.gql(
        FORGET, admin, key="forget-1", nn=NN.translate(ARABIC), reason="court order 2026/17"
    )
    assert forgot["forgetCitizen"]["__typename"] == "AdminPayload"
    assert set(forgot["forgetCitizen"]["result"]) == {"citizen_id", "forgotten_at"}
    await scene.caught_up()
    assert await scene.sealer.seal_once(force=True) is not None

    assert await found_in_tables(pool, scene.settings.db_schema) == {}
    assert await found_in_export(pool) == []
    # Nor is there any way back from the number to the citizen: no row links them, and the
    # id once derived from the number is nowhere (the real one is random).
    citizen_id = (await world.load(numbers[0])).citizen_id
    assert citizen_id != DERIVED
    assert await pool.fetchval("SELECT count(*) FROM citizen_numbers") == 3, "the others' only"
    assert not await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM citizen_numbers WHERE citizen_id = $1 OR digest = $2)",
        citizen_id,
        numbers_of(scene.store).digest(NN),
    )
    assert await places_of_value(pool, scene.settings.db_schema, DERIVED) == []
    assert str(DERIVED) not in await exported(pool)
    assert await world.citizen_id(NN) is None
    report = await audit(pool, load_signer(scene.settings).public_key)
    assert report.ok, report.summary()
    assert report.checkpoints >= 2
    assert await stats(pool) == before, "counts and turnarounds stay"
    after = {
        r["tracking_number"]: dict(r)
        for r in await pool.fetch("SELECT * FROM requests WHERE tracking_number = ANY($1)", numbers)
    }
    assert after == requests_before, "the requests stay, and held nothing personal"
    assert after[numbers[0]]["status"] == "collected"
    for number in numbers:
        answer = orjson.dumps(await scene.gql(REQUEST, auditor, n=number)).decode()
        assert number in answer
        assert [t for t in TRACES if t in answer] == []

    # Rebuilt from the log, the read models agree with the live ones and hold nothing either.
    rebuilt = await rebuild(scene.store, projections(), verify=True)
    assert all(r.verified for r in rebuilt), [r.name for r in rebuilt if not r.verified]
    assert await found_in_tables(pool, scene.settings.db_schema) == {}


async def test_the_forgotten_citizens_data_is_gone_from_every_read(scene: Scene) -> None:
    world = scene.world
    numbers = await live_a_life(world)
    repository = world.khidma.runner.repository
    citizen_id = (await world.load(numbers[0])).citizen_id
    assert (await repository.read_many([citizen_id]))[citizen_id].first_name_en == "Zenobia"

    admin = Actor(uuid.uuid4(), Role.ADMIN)
    await world.khidma.admin.forget_citizen(
        admin, world.key(), national_number=NN, reason="asked by the citizen"
    )

    citizen = (await repository.read_many([citizen_id]))[citizen_id]
    assert citizen.national_number is None and citizen.first_name_en is None
    assert citizen.forgotten_at is not None
    request = await world.load(numbers[0])
    assert request.form == {} and request.collected_by is not None
    assert request.collected_by["national_number"] is None, "the relative's number too"
    assert (await world.load(numbers[1])).home_address is None
    citizen_token = scene.tokens.mint(Role.CITIZEN, citizen_id, channel="portal")
    assert (await scene.gql("{ me { nationalNumber } }", citizen_token))["me"] is None


async def test_a_retried_registration_of_a_forgotten_citizen_answers_not_found(
    scene: Scene,
) -> None:
    admin = scene.tokens.mint(Role.ADMIN, uuid.uuid4())
    register = """mutation R($key: String!, $nn: String!) {
      registerCitizen(idempotencyKey: $key, nationalNumber: $nn, firstNameAr: "زنوبيا",
        firstNameEn: "Zenobia", lastNameAr: "التدمرية", lastNameEn: "Palmyrene") {
        __typename ... on Citizen { nationalNumber } ... on NotFound { what } } }"""
    first = await scene.gql(register, admin, key="register-z", nn=NN)
    assert first["registerCitizen"] == {"__typename": "Citizen", "nationalNumber": NN}
    forgot = await scene.gql(FORGET, admin, key="forget-z", nn=NN, reason="asked")
    assert forgot["forgetCitizen"]["__typename"] == "AdminPayload"

    again = await scene.gql(register, admin, key="register-z", nn=NN)
    assert again["registerCitizen"] == {"__typename": "NotFound", "what": "citizen"}
    stored = await scene.store.pool.fetchval(
        "SELECT result::text FROM commands WHERE idempotency_key = 'register-z'"
    )
    assert NN not in stored
