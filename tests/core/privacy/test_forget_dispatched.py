"""Forgetting a citizen whose request went through the dispatcher, the sandbox and back.

The dispatcher opened the payment, forwarded the request to the agency, took its answer by
signed callback and told the citizen by SMS (to their phone, read from their sealed profile).
After the forget no table of khidma holds their names, phone or national number; what the
outside systems (here the sandbox) received is theirs to erase.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

from khidma.core.app import Actor
from khidma.core.config import Settings
from khidma.core.domain.roles import Role
from khidma.core.events import EventStore
from tests.core.app.request_world import ARABIC, BIRTH, HOMS
from tests.plugins.conftest import SandboxControl, sandbox  # noqa: F401 (the fixture)
from tests.plugins.world import flow

from .test_forget_everywhere import NN, PERSON, PHONE, PROFILE, found_in_export, found_in_tables


async def test_a_dispatched_citizen_is_forgotten_everywhere(
    store: EventStore,
    settings: Settings,
    sandbox: SandboxControl,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    settings = dataclasses.replace(settings, data_dir=tmp_path)
    async with flow(store, settings, sandbox) as f:
        clerk, world = f.world.staff["homs_civil"], f.world
        await world.khidma.citizens.register_citizen(
            clerk, world.key(), national_number=NN, **PERSON
        )
        await world.khidma.citizens.complete_profile(
            clerk, world.key(), national_number=NN, phone=PHONE.translate(ARABIC), **PROFILE
        )
        filed = await world.requests.submit(
            clerk, world.key(), service_code=BIRTH, national_number=NN, delivery="pickup",
            pickup_centre=HOMS, form={"copies": 1, "remarks": PERSON["first_name_en"]},
        )  # fmt: skip
        number = filed["tracking_number"]
        await f.pay(number)
        await f.reaches(number, "issued")
        await world.requests.certify(clerk, world.key(), number)
        await world.requests.mark_ready(clerk, world.key(), number)

        async def told() -> bool:
            dispatch = await f.dispatch(number)
            kinds = [n["kind"] for n in dispatch.notifications] if dispatch else []
            return "ready_for_pickup" in kinds

        await f.until(told, f"{number}: the citizen told it is ready")
        dispatch = await f.dispatch(number)
        assert dispatch is not None
        # By SMS, which needs their phone: the dispatcher read it from the sealed profile.
        assert {n["channel"] for n in dispatch.notifications} == {"sms"}

        await world.khidma.admin.forget_citizen(
            Actor(uuid.uuid4(), Role.ADMIN), world.key(), national_number=NN, reason="asked"
        )
        await store.wait_for(await store.pool.fetchval("SELECT count(*) FROM events"), 30)

    assert await found_in_tables(store.pool, settings.db_schema) == {}
    assert await found_in_export(store.pool) == []
