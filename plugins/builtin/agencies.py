"""Connectors for the agencies of DOMAIN.md, speaking the agencies' HTTP API (see the sandbox).

One object per agency, each registered as its own plugin: its services (the demo catalog's),
filing, polling and signed callbacks, in the agency's own terms mapped to khidma's.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from typing import Any

from khidma.core.app.demo_catalog import DIRECT_AGENCIES, SERVICES

from .. import hookimpl
from ..signing import HEADER, verify
from ..types import (
    AgencyAnswer,
    AgencySubmission,
    Callback,
    ConnectorUnavailable,
    ForgedCallback,
    Health,
    Outcome,
    PluginContext,
    ServiceOffer,
)
from .http import Http

# The agencies' words for where a request stands, and khidma's.
TERMS = {
    "completed": Outcome.ISSUED,
    "refused": Outcome.REJECTED,
    "incomplete": Outcome.INFO_REQUIRED,
    "received": Outcome.ACCEPTED,
    "processing": Outcome.PENDING,
}


def answer_from(body: dict[str, Any]) -> AgencyAnswer:
    """An agency's JSON in its own terms, as an AgencyAnswer."""
    outcome = TERMS.get(str(body.get("status")))
    if outcome is None:
        raise ConnectorUnavailable(f"unknown agency status {body.get('status')!r}")
    try:
        return AgencyAnswer(
            outcome,
            tracking_number=body.get("tracking_number"),
            agency_reference=body.get("reference"),
            document_reference=body.get("document"),
            reason=body.get("reason"),
            information=body.get("missing"),
        )
    except ValueError as error:
        raise ConnectorUnavailable(f"agency answer: {error}") from None


def offers(agency: str) -> list[ServiceOffer]:
    """The demo catalog's services of ``agency``."""
    return [
        ServiceOffer(
            code=s["code"],
            name_ar=s["name_ar"],
            name_en=s["name_en"],
            agency=s["agency"],
            form_schema=s["form_schema"],
            fee=s["agency_fee"],
            handling=s["handling"],
            turnaround_days=s["turnaround_days"],
            collectors=tuple(s["collectors"]),
            delivery=tuple(s["delivery"]),
            validity_days=s["validity_days"],
            clock_rule=s["clock_rule"],
        )
        for s in SERVICES
        if s["agency"] == agency
    ]


class AgencyConnector:
    """A built-in connector for one agency."""

    def __init__(self, agency: str) -> None:
        self.agency = agency
        self.direct = agency in DIRECT_AGENCIES
        self.http: Http | None = None
        self.secret = ""

    @hookimpl
    def khidma_startup(self, context: PluginContext) -> None:
        self.http = Http(context.url_for(self.agency), context.timeout)
        self.secret = context.callback_secret

    @hookimpl
    def khidma_services(self) -> Sequence[ServiceOffer]:
        return offers(self.agency)

    @hookimpl
    def khidma_submit_request(
        self, agency: str, submission: AgencySubmission
    ) -> Awaitable[AgencyAnswer] | None:
        if agency != self.agency:
            return None
        return self._submit(submission)

    async def _submit(self, submission: AgencySubmission) -> AgencyAnswer:
        assert self.http is not None
        payload = {
            "tracking_number": submission.tracking_number,
            "service": submission.service_code,
            "form": dict(submission.form),
            "callback_url": submission.callback_url,
            "mode": "direct" if submission.direct else "reply_later",
        }
        if submission.agency_reference:
            payload["reference"] = submission.agency_reference
        body = await self.http.post("/requests", payload, submission.idempotency_key)
        return answer_from(body)

    @hookimpl
    def khidma_poll_request(
        self, agency: str, tracking_number: str, agency_reference: str
    ) -> Awaitable[AgencyAnswer] | None:
        if agency != self.agency:
            return None
        assert self.http is not None
        return self._poll(agency_reference)

    async def _poll(self, reference: str) -> AgencyAnswer:
        assert self.http is not None
        return answer_from(await self.http.get(f"/requests/{reference}"))

    @hookimpl
    def khidma_agency_callback(self, agency: str, callback: Callback) -> AgencyAnswer | None:
        if agency != self.agency:
            return None
        if not verify(self.secret, callback.body, callback.headers.get(HEADER)):
            raise ForgedCallback(f"{self.agency}: the signature does not verify")
        try:
            body = json.loads(callback.body)
        except ValueError:
            raise ForgedCallback(f"{self.agency}: a signed body that is not JSON") from None
        return answer_from(body)

    @hookimpl
    def khidma_health(self) -> Awaitable[Sequence[Health]]:
        return self._health()

    async def _health(self) -> Sequence[Health]:
        assert self.http is not None
        return await self.http.health(self.agency)
