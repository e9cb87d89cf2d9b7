"""Every hook of the plugin API is called through the connectors facade the dispatcher uses:
a hook added to hookspecs.py without being exercised here fails this test."""

from __future__ import annotations

import json

import httpx
import pluggy

from khidma.core.config import Settings
from khidma.plugins import hookspecs
from khidma.plugins.connectors import Connectors
from khidma.plugins.manager import create_manager
from khidma.plugins.signing import HEADER, sign
from khidma.plugins.types import (
    AgencySubmission,
    Callback,
    Message,
    Parcel,
    PaymentOrder,
    RefundOrder,
)

from .conftest import SECRET, SandboxControl, plugin_settings

NUMBER = "HMS-2026-0000007-5"


def signed(payload: dict[str, object]) -> Callback:
    body = json.dumps(payload).encode()
    return Callback({HEADER: sign(SECRET, body)}, body)


async def test_every_hook_is_exercised(sandbox: SandboxControl) -> None:
    settings = plugin_settings(Settings(), sandbox.url)
    called: list[str] = []
    # Monitor from the first call on: khidma_startup and khidma_services run in the factory.
    original = pluggy.PluginManager.add_hookspecs

    def monitored(self: pluggy.PluginManager, module: object) -> None:
        original(self, module)
        self.add_hookcall_monitoring(
            lambda name, impls, kwargs: called.append(name), lambda *args: None
        )

    pluggy.PluginManager.add_hookspecs = monitored  # type: ignore[method-assign]
    try:
        connectors = Connectors(create_manager(settings, entry_points=False), settings)
    finally:
        pluggy.PluginManager.add_hookspecs = original  # type: ignore[method-assign]

    submission = AgencySubmission(
        NUMBER, "justice.criminal_record", "justice", {}, "hooks-1", "http://127.0.0.1:9", False
    )
    accepted = await connectors.submit("justice", submission)
    assert accepted.agency_reference
    await connectors.poll("justice", NUMBER, accepted.agency_reference)
    connectors.agency_callback("justice", signed({"status": "received", "reference": "R-1"}))
    page = await connectors.create_payment(PaymentOrder(NUMBER, 3500, "hooks-pay", "http://x"))
    async with httpx.AsyncClient() as client:
        await client.post(page.page_url, data={"bank": "bemo"})
    status = await connectors.payment_status(page.payment_ref)
    connectors.payment_callback(
        "sep",
        signed({"payment_ref": page.payment_ref, "tracking_number": NUMBER, "amount": 3500,
                "state": "paid", "bank": "bemo"}),
    )  # fmt: skip
    await connectors.refund(RefundOrder(status.payment_ref, NUMBER, 3500, "hooks-refund"))
    await connectors.dispatch_parcel(Parcel(NUMBER, "post_office", "بريد حمص", "hooks-post"))
    channel = connectors.channels()[0]
    await connectors.notify(
        channel, Message(NUMBER, "ready_for_pickup", "en", "Ready", "h-1", phone="0933123456")
    )
    await connectors.health()

    specs = {name for name in vars(hookspecs) if name.startswith("khidma_")}
    assert specs - set(called) == set(), "hooks never called"
