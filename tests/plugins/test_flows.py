"""End to end through the sandbox: payment, direct access, reply later, rejection and refund,
information required, free services, postal delivery; notifications in the citizen's language."""

from __future__ import annotations

from khidma.core.config import Settings
from khidma.core.events import EventStore
from tests.core.app.request_world import BIRTH, CRIMINAL, DAMASCUS, HOMS, LEASE

from .conftest import SandboxControl
from .world import flow


async def test_direct_access_after_payment(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(CRIMINAL))["tracking_number"]  # justice: direct here
        await f.pay(number, bank="al_baraka")
        assert await f.reaches(number, "issued") == "issued"
        request = await f.request(number)
        assert request.payment is not None and request.payment["amount"] == request.fee["total"]
        assert request.document_reference and request.document_reference.startswith("JUS-DOC")
        assert await f.world.topics(number) == [
            "Submitted", "FeeAssessed", "PaymentRecorded", "SentToAgency", "Issued",
        ]  # fmt: skip
        dispatch = await f.dispatch(number)
        assert dispatch is not None
        sent = [(n["kind"], n["channel"], n["language"]) for n in dispatch.notifications]
        assert sent == [("payment_due", "sms", "ar")]


async def test_reply_later_rejected_is_refunded_and_told(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("civil_registry", rejection_rate=1.0)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(BIRTH))["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "refunded")
        assert await f.world.topics(number) == [
            "Submitted", "FeeAssessed", "PaymentRecorded", "SentToAgency", "AcceptedByAgency",
            "Rejected", "Refunded",
        ]  # fmt: skip
        request = await f.request(number)
        assert request.refund is not None and request.refund["refund_ref"].startswith("SEP-RF")

        async def told() -> bool:
            found = await f.dispatch(number)
            return found is not None and "rejected" in {n["kind"] for n in found.notifications}

        await f.until(told, "rejection notified")


async def test_information_required_then_provided(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("civil_registry", info_rate=1.0)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(BIRTH))["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "info_required")
        assert "identity card" in ((await f.request(number)).information_requested or "")
        await f.world.requests.provide_information(
            f.world.citizen, f.world.key(), number, answer={"remarks": "أرفقت صورة الهوية"}
        )
        await f.reaches(number, "issued")
        topics = await f.world.topics(number)
        assert topics.count("Issued") == 1 and topics.count("InformationRequested") == 1


async def test_a_free_service_goes_straight_to_the_agency(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    async with flow(store, settings, sandbox) as f:
        # Free at Damascus: no agency fee, no surcharge there (Homs adds one to everything).
        number = (await f.world.file(LEASE, pickup_centre=DAMASCUS))["tracking_number"]
        await f.reaches(number, "issued")
        assert "PaymentRecorded" not in await f.world.topics(number)


async def test_postal_delivery(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    async with flow(store, settings, sandbox) as f:
        filed = await f.world.file(
            BIRTH, delivery="home", home_address="حمص، شارع الدبلان", processing_centre=HOMS
        )
        number = filed["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "issued")
        await f.world.requests.certify(f.world.staff["homs_civil"], f.world.key(), number)
        await f.reaches(number, "dispatched")
        assert (await f.request(number)).postal_tracking.startswith("SYPOST")

        async def told() -> bool:
            found = await f.dispatch(number)
            return found is not None and "dispatched" in {n["kind"] for n in found.notifications}

        await f.until(told, "dispatch notified")
