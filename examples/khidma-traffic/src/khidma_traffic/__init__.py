"""A third-party khidma connector: the traffic police's fines statement (بيان مخالفات مرورية).

It speaks the agency HTTP API of khidma's sandbox (``POST {url}/requests``, ``GET
{url}/requests/{reference}``, signed callbacks) with httpx, and is found by khidma through the
``khidma`` entry point in pyproject.toml.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from typing import Any

import httpx

from khidma.plugins import hookimpl
from khidma.plugins.signing import HEADER, verify
from khidma.plugins.types import (
    AgencyAnswer,
    AgencySubmission,
    Callback,
    ConnectorRefused,
    ConnectorUnavailable,
    ForgedCallback,
    Health,
    Outcome,
    PluginContext,
    ServiceOffer,
)

AGENCY = "traffic_police"
TERMS = {
    "completed": Outcome.ISSUED,
    "refused": Outcome.REJECTED,
    "incomplete": Outcome.INFO_REQUIRED,
    "received": Outcome.ACCEPTED,
    "processing": Outcome.PENDING,
}
FORM = {
    "fields": [
        {
            "name": "national_number",
            "type": "digits",
            "length": 11,
            "label": {"ar": "الرقم الوطني", "en": "National number"},
        },
        {
            "name": "plate_number",
            "type": "text",
            "max_length": 20,
            "label": {"ar": "رقم اللوحة", "en": "Plate number"},
        },
    ]
}


class TrafficPolice:
    def __init__(self) -> None:
        self.url = ""
        self.secret = ""
        self.timeout = 5.0

    @hookimpl
    def khidma_startup(self, context: PluginContext) -> None:
        self.url = context.url_for(AGENCY)
        self.secret = context.callback_secret
        self.timeout = context.timeout

    @hookimpl
    def khidma_services(self) -> Sequence[ServiceOffer]:
        return [
            ServiceOffer(
                code="traffic.fines_statement",
                name_ar="بيان مخالفات مرورية",
                name_en="Traffic fines statement",
                agency=AGENCY,
                form_schema=FORM,
                fee=1000,
                handling="reply_later",
                turnaround_days=2,
                collectors=("self", "proxy"),
                delivery=("pickup", "post_office"),
            )
        ]

    @hookimpl
    def khidma_submit_request(
        self, agency: str, submission: AgencySubmission
    ) -> Awaitable[AgencyAnswer] | None:
        if agency != AGENCY:
            return None
        payload = {
            "tracking_number": submission.tracking_number,
            "service": submission.service_code,
            "form": dict(submission.form),
            "callback_url": submission.callback_url,
            "mode": "direct" if submission.direct else "reply_later",
        }
        if submission.agency_reference:
            payload["reference"] = submission.agency_reference
        return self._call("POST", "/requests", payload, submission.idempotency_key)

    @hookimpl
    def khidma_poll_request(
        self, agency: str, tracking_number: str, agency_reference: str
    ) -> Awaitable[AgencyAnswer] | None:
        if agency != AGENCY:
            return None
        return self._call("GET", f"/requests/{agency_reference}")

    @hookimpl
    def khidma_agency_callback(self, agency: str, callback: Callback) -> AgencyAnswer | None:
        if agency != AGENCY:
            return None
        if not verify(self.secret, callback.body, callback.headers.get(HEADER)):
            raise ForgedCallback("traffic_police: bad signature")
        return _answer(json.loads(callback.body))

    @hookimpl
    def khidma_health(self) -> Awaitable[Sequence[Health]]:
        return self._health()

    async def _health(self) -> Sequence[Health]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(f"{self.url}/health")
        except httpx.HTTPError as error:
            return [Health(AGENCY, False, repr(error))]
        return [Health(AGENCY, response.status_code == 200, f"HTTP {response.status_code}")]

    async def _call(
        self, method: str, path: str, payload: dict[str, Any] | None = None, key: str | None = None
    ) -> AgencyAnswer:
        headers = {"idempotency-key": key} if key else {}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.request(
                    method, f"{self.url}{path}", json=payload, headers=headers
                )
                body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ConnectorUnavailable(f"traffic_police: {error!r}") from error
        if response.status_code >= 500:
            raise ConnectorUnavailable(f"traffic_police: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ConnectorRefused(f"traffic_police: HTTP {response.status_code}: {body}")
        return _answer(body)


def _answer(body: dict[str, Any]) -> AgencyAnswer:
    outcome = TERMS.get(str(body.get("status")))
    if outcome is None:
        raise ConnectorUnavailable(f"traffic_police: unknown status {body.get('status')!r}")
    return AgencyAnswer(
        outcome,
        tracking_number=body.get("tracking_number"),
        agency_reference=body.get("reference"),
        document_reference=body.get("document"),
        reason=body.get("reason"),
        information=body.get("missing"),
    )


plugin = TrafficPolice()
