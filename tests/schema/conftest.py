"""The API over the demo data: a real PostgreSQL, the command handlers, the projections.

One demo world per test module (loading it takes seconds); tests that write use their own
idempotency keys and requests, so they do not disturb each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from khidma.core.app import Khidma
from khidma.core.app.demo import DemoSummary, load_demo
from khidma.core.bootstrap import open_store
from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.events import EventStore
from khidma.projections.worker import ProjectionWorker
from khidma.schema.app import create_app
from khidma.schema.auth import Tokens
from tests.database import drop_schema, new_schema_name


@dataclass
class Api:
    """The app in this process, a client for it, and tokens for the demo's people."""

    store: EventStore
    khidma: Khidma
    tokens: Tokens
    client: httpx.AsyncClient
    demo: DemoSummary
    worker: ProjectionWorker
    app: Any

    def token(self, role: Role | str, subject: Any = None, **scope: Any) -> str:
        return self.tokens.mint(role, subject, **scope)

    def citizen(self, national_number: str, channel: str = "portal") -> str:
        """A demo citizen's token (carrying khidma's id of them); else a stranger's."""
        subject = self.demo.citizen_ids.get(national_number) or uuid.uuid5(
            uuid.NAMESPACE_URL, f"khidma:test:stranger:{national_number}"
        )
        return self.token(Role.CITIZEN, subject, channel=channel)

    def staff(self, staff_number: str, role: str, centre: str, agency: str | None = None) -> str:
        return self.token(role, Staff.id_for(staff_number), centre=centre, agency=agency)

    async def gql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()


def key() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.fixture(scope="module")
async def api(database_url: str) -> AsyncIterator[Api]:
    settings = Settings(database_url=database_url, db_schema=new_schema_name(), pool_max_size=30)
    with tempfile.TemporaryDirectory(prefix="khidma-keys-") as keys:
        tokens = Tokens(dataclasses.replace(settings, data_dir=Path(keys)))
        try:
            async with open_store(database_url, settings) as store:
                khidma = Khidma(store)
                demo = await load_demo(khidma)
                worker = ProjectionWorker(store)
                await worker.start()
                await store.sequencer.run_once()
                await worker.wait_for_all(await store.head(), timeout=60)
                app = create_app(
                    store, database_url, positions=worker.positions, khidma=khidma, tokens=tokens
                )
                async with app.router.lifespan_context(app):
                    transport = httpx.ASGITransport(app=app)
                    async with httpx.AsyncClient(
                        transport=transport, base_url="http://khidma"
                    ) as client:
                        yield Api(store, khidma, tokens, client, demo, worker, app)
                # The projection runners sometimes take long to stop (their code, not ours):
                # bounded, so a slow stop cannot hang the suite.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(worker.stop(), 15)
        finally:
            drop_schema(settings.db_schema)
