"""Faults end to end: forged, duplicated and reordered callbacks, an agency failing until a
supervisor retries, a direct-access agency down and back, SMS down, a lost payment callback."""

from __future__ import annotations

import json

import httpx
import pytest

from khidma.core.app import Actor
from khidma.core.config import Settings
from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.errors import InvalidTransition, NotAllowed
from khidma.core.events import EventStore
from khidma.plugins.signing import HEADER, sign
from tests.core.app.request_world import BIRTH, CRIMINAL

from .conftest import SandboxControl
from .world import Flow, flow


async def count(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM events"))


async def test_a_forged_callback_is_refused_and_changes_nothing(
    store: EventStore, settings: Settings, sandbox: SandboxControl, caplog: pytest.LogCaptureFixture
) -> None:
    await sandbox.set("civil_registry", send_callbacks=False)
    async with flow(store, settings, sandbox, watch_interval=60.0) as f:
        number = (await f.world.file(BIRTH))["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "agency_processing")
        before = await count(store)
        body = json.dumps({"status": "completed", "tracking_number": number, "document": "FAKE"})
        async with httpx.AsyncClient() as client:
            for headers in ({HEADER: sign("guessed-secret", body.encode())}, {}):
                refused = await client.post(
                    f"{f.callbacks}/agencies/civil_registry", content=body, headers=headers
                )
                assert refused.status_code == 403
        assert await count(store) == before
        assert await f.status(number) == "agency_processing"
        assert "forged callback" in caplog.text


async def test_duplicated_and_reordered_callbacks_apply_once(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("civil_registry", duplicate_callbacks=True, reorder_callbacks=True)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(BIRTH))["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "issued")

        async def all_delivered() -> bool:  # final, final, stale, stale
            return len(await sandbox.calls("civil_registry", "/requests")) >= 1

        await f.until(all_delivered, "callbacks")
        topics = await f.world.topics(number)
        assert topics.count("Issued") == 1 and topics.count("AcceptedByAgency") == 1
        assert topics[-1] == "Issued"


async def test_failures_park_the_request_until_a_supervisor_retries(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("civil_registry", error_rate=1.0)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(BIRTH))["tracking_number"]
        await f.pay(number)

        async def parked() -> bool:
            found = await f.dispatch(number)
            return found is not None and "forward" in found.parked

        await f.until(parked, "DispatchFailed")
        assert "DispatchFailed" in await f.dispatch_topics(number)
        assert await f.status(number) == "sent_to_agency"
        clerk = f.world.staff["homs_civil"]
        with pytest.raises(NotAllowed):
            await f.world.khidma.dispatch.retry(clerk, f.world.key(), number, step="forward")
        await sandbox.set("civil_registry", error_rate=0.0)
        supervisor: Actor = f.world.staff["homs_supervisor"]
        await f.world.khidma.dispatch.retry(supervisor, f.world.key(), number, step="forward")
        with pytest.raises(InvalidTransition):
            await f.world.khidma.dispatch.retry(supervisor, f.world.key(), number, step="forward")
        await f.reaches(number, "issued")


async def test_a_direct_agency_down_falls_back_to_reply_later_and_recovers(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("justice", outage=True)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(CRIMINAL))["tracking_number"]
        await f.pay(number)

        async def told() -> bool:
            found = await f.dispatch(number)
            return found is not None and "delayed" in {n["kind"] for n in found.notifications}

        await f.until(told, "the citizen told of the new date")
        dispatch = await f.dispatch(number)
        assert dispatch is not None and dispatch.fell_back and dispatch.fallback_until
        await sandbox.set("justice", outage=False)
        await f.reaches(number, "issued")

        async def resumed() -> bool:
            return "DirectHandlingResumed" in await f.dispatch_topics(number)

        await f.until(resumed, "direct handling resumed")


async def first_notice(f: Flow, number: str) -> Dispatch:
    """The request's dispatch record once a notification reached the citizen."""

    async def delivered() -> bool:
        found = await f.dispatch(number)
        return found is not None and bool(found.notifications)

    await f.until(delivered, "a notification delivered")
    dispatch = await f.dispatch(number)
    assert dispatch is not None
    return dispatch


async def test_sms_down_falls_back_to_the_next_channel(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("sms", outage=True)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(CRIMINAL))["tracking_number"]
        dispatch = await first_notice(f, number)
        assert [n["channel"] for n in dispatch.notifications] == ["app"]
        topics = await f.dispatch_topics(number)
        assert topics.count("NotificationFailed") == 2  # sms down, no email address


async def test_sms_down_a_citizen_with_an_email_address_gets_an_email(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("sms", outage=True)
    async with flow(store, settings, sandbox) as f:
        await f.world.khidma.citizens.change_email(
            f.world.citizen, f.world.key("email"), email="samer@example.sy"
        )
        number = (await f.world.file(CRIMINAL))["tracking_number"]
        dispatch = await first_notice(f, number)
        assert [n["channel"] for n in dispatch.notifications] == ["email"]
        assert (await f.dispatch_topics(number)).count("NotificationFailed") == 1  # sms down


async def test_a_lost_payment_callback_is_found_by_the_re_check(
    store: EventStore, settings: Settings, sandbox: SandboxControl
) -> None:
    await sandbox.set("payments", send_callbacks=False)
    async with flow(store, settings, sandbox) as f:
        number = (await f.world.file(CRIMINAL))["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "issued")
        assert (await f.world.topics(number)).count("PaymentRecorded") == 1
