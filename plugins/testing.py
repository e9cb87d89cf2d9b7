"""The plugin kit: a pytest plugin with the conformance suite every agency connector runs.

In your connector's ``conftest.py``::

    pytest_plugins = ["khidma.plugins.testing"]

and in a test module, subclass the contract and say which plugin and agency to test::

    class TestMyAgency(AgencyConnectorContract):
        agency = "my_agency"

        @pytest.fixture
        def plugin(self):
            return MyAgencyConnector()

The suite serves khidma's sandbox (``khidma_sandbox``) on a free loopback port and points the
connector at it (``PluginContext.url_for``). A connector that speaks another protocol overrides
``signed_callback`` and the ``agency_system`` fixture (a URL serving that protocol).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from khidma.core.config import Settings

from .connectors import Connectors, NoConnector
from .manager import create_manager
from .sandbox import Knobs, sandbox_server
from .signing import HEADER, sign
from .types import (
    AgencySubmission,
    Callback,
    ConnectorUnavailable,
    ForgedCallback,
    Outcome,
)

SECRET = "khidma-conformance-secret"
NUMBER = "DAM-2026-0000042-0"


@pytest_asyncio.fixture
async def khidma_sandbox() -> AsyncIterator[str]:
    """khidma's agency simulator, served by uvicorn on 127.0.0.1; yields its base URL."""
    settings = Settings(callback_secret=SECRET)
    async with sandbox_server(settings, port=0, defaults=Knobs(callback_delay=0.05)) as url:
        yield url


async def set_knobs(sandbox: str, system: str, **knobs: Any) -> None:
    """Change how a simulated system behaves (latency, outage, rejection_rate…)."""
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{sandbox}/_control", json={"systems": {system: knobs}})
        response.raise_for_status()


class AgencyConnectorContract:
    """Every agency connector passes these; subclass with ``agency`` and a ``plugin`` fixture."""

    agency: str = ""

    @pytest.fixture
    def plugin(self) -> object:
        raise NotImplementedError("define a `plugin` fixture returning your plugin object")

    @pytest.fixture
    def agency_system(self, khidma_sandbox: str) -> str:
        """The base URL for every system (the sandbox unless overridden)."""
        return khidma_sandbox

    @pytest.fixture
    def connectors(self, plugin: object, agency_system: str) -> Connectors:
        settings = Settings(
            sandbox_url=agency_system, callback_secret=SECRET, connector_timeout=1.0
        )
        manager = create_manager(settings, plugins=[plugin], builtins=False, entry_points=False)
        return Connectors(manager, settings)

    def submission(
        self, connectors: Connectors, key: str = "conformance-1", direct: bool = False
    ) -> AgencySubmission:
        return AgencySubmission(
            tracking_number=NUMBER,
            service_code=connectors.services[0].offer.code,
            agency=self.agency,
            form={"national_number": "01020304050"},
            idempotency_key=key,
            callback_url="http://127.0.0.1:9/callbacks",
            direct=direct,
        )

    def signed_callback(self, payload: dict[str, Any], secret: str = SECRET) -> Callback:
        """A callback in the agency's own terms, signed as it would sign it."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        return Callback({HEADER: sign(secret, body)}, body)

    # -- the suite -----------------------------------------------------------------------

    def test_offers_valid_services_of_its_agency(self, connectors: Connectors) -> None:
        offers = [s.offer for s in connectors.services]
        assert offers, "khidma_services offers nothing"
        assert {o.agency for o in offers} == {self.agency}
        for offer in offers:
            assert offer.name_ar and offer.name_en and offer.handling in ("direct", "reply_later")

    @pytest.mark.asyncio
    async def test_submit_answers_and_keeps_to_the_idempotency_key(
        self, connectors: Connectors
    ) -> None:
        first = await connectors.submit(self.agency, self.submission(connectors, "conformance-key"))
        assert first.outcome in set(Outcome) - {Outcome.PENDING}
        assert (
            await connectors.submit(self.agency, self.submission(connectors, "conformance-key"))
            == first
        )

    @pytest.mark.asyncio
    async def test_an_accepted_request_can_be_polled(self, connectors: Connectors) -> None:
        answer = await connectors.submit(
            self.agency, self.submission(connectors, "conformance-poll")
        )
        if answer.outcome is Outcome.ACCEPTED:
            assert answer.agency_reference
            polled = await connectors.poll(self.agency, NUMBER, answer.agency_reference)
            assert polled.outcome in set(Outcome)

    @pytest.mark.asyncio
    async def test_a_rejection_carries_its_reason(
        self, connectors: Connectors, agency_system: str
    ) -> None:
        await set_knobs(agency_system, self.agency, rejection_rate=1.0, callback_delay=0.0)
        answer = await connectors.submit(
            self.agency, self.submission(connectors, "conformance-reject")
        )
        while answer.outcome in (Outcome.ACCEPTED, Outcome.PENDING):
            assert answer.agency_reference or answer.outcome is Outcome.PENDING
            reference = answer.agency_reference
            answer = await connectors.poll(self.agency, NUMBER, reference or "")
        assert answer.outcome is Outcome.REJECTED and answer.reason

    def test_a_signed_callback_is_mapped(self, connectors: Connectors) -> None:
        callback = self.signed_callback(
            {"status": "refused", "tracking_number": NUMBER, "reason": "غير مستوفٍ / incomplete"}
        )
        answer = connectors.agency_callback(self.agency, callback)
        assert answer.outcome is Outcome.REJECTED and answer.tracking_number == NUMBER

    def test_a_forged_callback_is_refused(self, connectors: Connectors) -> None:
        payload = {"status": "completed", "tracking_number": NUMBER, "document": "D-1"}
        with pytest.raises(ForgedCallback):
            connectors.agency_callback(self.agency, self.signed_callback(payload, "wrong-secret"))

    @pytest.mark.asyncio
    async def test_an_outage_is_a_transient_error(
        self, connectors: Connectors, agency_system: str
    ) -> None:
        await set_knobs(agency_system, self.agency, outage=True)
        with pytest.raises(ConnectorUnavailable):
            await connectors.submit(self.agency, self.submission(connectors, "conformance-down"))

    @pytest.mark.asyncio
    async def test_it_answers_only_for_its_agency(self, connectors: Connectors) -> None:
        with pytest.raises(NoConnector):
            await connectors.submit("not_" + self.agency, self.submission(connectors))

    @pytest.mark.asyncio
    async def test_it_reports_its_health(self, connectors: Connectors) -> None:
        health = await connectors.health()
        assert health and all(entry.ok for _, entry in health)
