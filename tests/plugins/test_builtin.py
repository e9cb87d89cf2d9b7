"""The built-in connectors against the sandbox, over real HTTP: answers, faults, mapping."""

from __future__ import annotations

import json

import httpx
import pytest

from khidma.plugins.connectors import Connectors
from khidma.plugins.signing import HEADER, sign
from khidma.plugins.types import (
    AgencySubmission,
    Callback,
    ConnectorRefused,
    ConnectorUnavailable,
    ForgedCallback,
    Message,
    Outcome,
    Parcel,
    PaymentOrder,
    PaymentState,
    RefundOrder,
)

from .conftest import SECRET, SandboxControl

NUMBER = "DAM-2026-0000001-4"


def submission(agency: str, key: str = "k-000001", direct: bool = False) -> AgencySubmission:
    return AgencySubmission(
        tracking_number=NUMBER,
        service_code="x.y",
        agency=agency,
        form={"national_number": "01020304050"},
        idempotency_key=key,
        callback_url="http://127.0.0.1:9/callbacks",
        direct=direct,
    )


async def test_direct_access_is_answered_at_once(connectors: Connectors) -> None:
    answer = await connectors.submit("civil_registry", submission("civil_registry", direct=True))
    assert answer.outcome is Outcome.ISSUED and answer.document_reference


async def test_reply_later_is_accepted_then_polled(
    connectors: Connectors, sandbox: SandboxControl
) -> None:
    await sandbox.set("justice", rejection_rate=1.0, callback_delay=0.0, send_callbacks=False)
    answer = await connectors.submit("justice", submission("justice"))
    assert answer.outcome is Outcome.ACCEPTED and answer.agency_reference
    polled = await connectors.poll("justice", NUMBER, answer.agency_reference)
    while polled.outcome is Outcome.PENDING:
        polled = await connectors.poll("justice", NUMBER, answer.agency_reference)
    assert polled.outcome is Outcome.REJECTED and "final" in (polled.reason or "")


async def test_the_idempotency_key_files_a_request_once(
    connectors: Connectors, sandbox: SandboxControl
) -> None:
    first = await connectors.submit("finance", submission("finance", key="same-key-1"))
    again = await connectors.submit("finance", submission("finance", key="same-key-1"))
    assert first == again


@pytest.mark.parametrize(
    "knobs",
    [{"latency": 1.5}, {"error_rate": 1.0}, {"drop_rate": 1.0}, {"outage": True}],
    ids=["timeout", "http-500", "dropped-connection", "outage"],
)
async def test_faults_are_transient_errors(
    connectors: Connectors, sandbox: SandboxControl, knobs: dict[str, object]
) -> None:
    await sandbox.set("real_estate", **knobs)
    with pytest.raises(ConnectorUnavailable):
        await connectors.submit("real_estate", submission("real_estate"))


def test_a_callback_is_verified_and_mapped(connectors: Connectors) -> None:
    body = json.dumps(
        {"status": "incomplete", "tracking_number": NUMBER, "missing": "صورة الهوية"}
    ).encode()
    answer = connectors.agency_callback("justice", Callback({HEADER: sign(SECRET, body)}, body))
    assert answer.outcome is Outcome.INFO_REQUIRED and answer.tracking_number == NUMBER


@pytest.mark.parametrize("secret", ["not-the-secret", None], ids=["wrong-key", "unsigned"])
def test_a_forged_callback_is_refused(connectors: Connectors, secret: str | None) -> None:
    body = json.dumps({"status": "completed", "tracking_number": NUMBER, "document": "X"}).encode()
    headers = {HEADER: sign(secret, body)} if secret else {}
    with pytest.raises(ForgedCallback):
        connectors.agency_callback("justice", Callback(headers, body))
    tampered = Callback({HEADER: sign(SECRET, body)}, body.replace(b"X", b"Y"))
    with pytest.raises(ForgedCallback):
        connectors.agency_callback("justice", tampered)


async def test_payment_page_bank_choice_status_and_refund(connectors: Connectors) -> None:
    page = await connectors.create_payment(
        PaymentOrder(NUMBER, 2500, "pay-key-0001", "http://127.0.0.1:9/callbacks/payments/sep")
    )
    async with httpx.AsyncClient() as client:
        shown = await client.get(page.page_url)
        assert "بنك البركة" in shown.text and "2500" in shown.text
        paid = await client.post(page.page_url, data={"bank": "al_baraka"})
        assert paid.status_code == 200
    status = await connectors.payment_status(page.payment_ref)
    assert (status.state, status.bank, status.amount) == (PaymentState.PAID, "al_baraka", 2500)
    order = RefundOrder(page.payment_ref, NUMBER, 2500, "refund-key-1")
    receipt = await connectors.refund(order)
    assert receipt == await connectors.refund(order)  # once, however often asked
    assert (await connectors.payment_status(page.payment_ref)).state is PaymentState.REFUNDED


async def test_post_and_notification_channels(connectors: Connectors) -> None:
    parcel = Parcel(NUMBER, "home", "دمشق، شارع بغداد", "post-key-001")
    assert (await connectors.dispatch_parcel(parcel)).postal_tracking.startswith("SYPOST")
    message = Message(NUMBER, "ready_for_pickup", "ar", "جاهز", "note-key-01", phone="0933123456")
    assert (await connectors.notify("sms", message)).channel == "sms"
    with pytest.raises(ConnectorRefused, match="email"):
        await connectors.notify("email", message)


async def test_health_names_what_is_down(connectors: Connectors, sandbox: SandboxControl) -> None:
    await sandbox.set("post", outage=True)
    health = {h.name: h.ok for _, h in await connectors.health()}
    assert health["post"] is False and health["civil_registry"] is True
