"""forget_citizen: admin only, a reason required, idempotent, and completed by a retry."""

from __future__ import annotations

import uuid

import pytest

from khidma.core.app import Actor, Khidma
from khidma.core.app import forget as forget_module
from khidma.core.app.runner import NotFound
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.roles import Role
from khidma.core.events import EventStore
from khidma.core.privacy import SubjectForgotten
from tests.core.app.conftest import FixedClock
from tests.core.app.request_world import ARABIC, CITIZEN_NN, CIVIL, World, seed

ADMIN = Actor(uuid.uuid4(), Role.ADMIN)


@pytest.fixture
async def world(store: EventStore) -> World:
    return await seed(Khidma(store, FixedClock()))


async def key_row(world: World) -> dict[str, object]:
    """The key row of the citizen with CITIZEN_NN (``world.citizen``)."""
    row = await world.store.pool.fetchrow(
        "SELECT * FROM subject_keys WHERE subject_id = $1", world.citizen.id
    )
    assert row is not None
    return dict(row)


async def forget(world: World, key: str, **given: object) -> dict[str, object]:
    arguments: dict[str, object] = {"national_number": CITIZEN_NN, "reason": "court order"}
    arguments.update(given)
    actor = arguments.pop("actor", ADMIN)
    assert isinstance(actor, Actor)
    return await world.khidma.admin.forget_citizen(actor, key, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", ["", "   ", None])
async def test_a_reason_is_required(world: World, reason: object) -> None:
    before = await world.written()
    with pytest.raises(ValidationError) as refused:
        await forget(world, world.key(), reason=reason)
    assert refused.value.field == "reason"
    assert await world.written() == before
    assert (await key_row(world))["wrapped"] is not None


async def test_an_unknown_citizen_is_not_found(world: World) -> None:
    before = await world.written()
    with pytest.raises(NotFound):
        await forget(world, world.key(), national_number="01010101010")
    with pytest.raises(ValidationError) as refused:
        await forget(world, world.key(), national_number="12")
    assert refused.value.field == "national_number"
    assert await world.written() == before


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.CLERK, Role.SUPERVISOR, Role.AUDITOR])
async def test_only_an_admin_may_forget(world: World, role: Role) -> None:
    before = await world.written()
    with pytest.raises(NotAllowed):
        await forget(world, world.key(), actor=world.actor(role))
    assert await world.written() == before
    assert (await key_row(world))["wrapped"] is not None


async def test_a_retry_writes_nothing_new(world: World) -> None:
    first = await forget(world, "forget-once")
    written = await world.written()
    row = await key_row(world)
    assert row["wrapped"] is None and row["reason"] == "court order"

    assert await forget(world, "forget-once") == first
    # The number names no one any more: a new command finds no citizen to forget.
    with pytest.raises(NotFound):
        await forget(world, world.key(), reason="asked again")
    assert await world.events() == written[0], "no second Forgotten event"
    assert await key_row(world) == row, "destroyed once: the first time and reason stay"
    records = await world.store.read_stream(world.citizen.id)
    assert [r.topic.rsplit(".", 1)[-1] for r in records] == [
        "Registered", "ProfileCompleted", "Forgotten",
    ]  # fmt: skip


async def test_a_crash_before_the_key_is_destroyed_is_completed_by_a_retry(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*_: object) -> None:
        raise ConnectionResetError("the connection dropped")

    monkeypatch.setattr(forget_module, "shred", crash)
    with pytest.raises(ConnectionResetError):
        await forget(world, "forget-crash")
    assert (await key_row(world))["wrapped"] is not None, "the event is written, the key not"
    assert await world.citizen_id(CITIZEN_NN) == world.citizen.id, "nor is the number unlinked"
    forgotten = await world.khidma.runner.repository.get(world.citizen.id)
    assert isinstance(forgotten, Citizen) and forgotten.forgotten_at is not None
    assert forgotten.first_name_en is None, "the account already shows nothing"

    monkeypatch.undo()
    await forget(world, world.key(), reason="completing it")  # a new key finds them too
    assert (await key_row(world))["wrapped"] is None
    assert (await key_row(world))["reason"] == "completing it"
    assert await world.citizen_id(CITIZEN_NN) is None
    assert await forget(world, "forget-crash") == await forget(world, "forget-crash")


async def test_nothing_personal_is_written_for_a_forgotten_citizen(world: World) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    await world.requests.ask_for_information(world.agency(CIVIL), world.key(), number, what="?")
    await forget(world, world.key())
    before = await world.written()

    # Refused: the form it completes is gone (ValidationError), or its key (SubjectForgotten).
    with pytest.raises((SubjectForgotten, ValidationError)):
        await world.requests.provide_information(
            world.citizen, world.key(), number, answer={"remarks": "صورة"}
        )
    with pytest.raises(NotFound):  # the number names no one any more
        await world.khidma.citizens.update_profile(
            world.staff["homs_supervisor"], world.key(), national_number=CITIZEN_NN,
            first_name_en="Samir",
        )  # fmt: skip
    assert await world.written() == before
    # What is not personal goes on: a clerk's note on the request, say.
    noted = await world.requests.add_note(
        world.staff["homs_civil"], world.key(), number, text="الملف مؤرشف"
    )
    assert noted["status"] == "info_required"


@pytest.mark.parametrize(
    "reason",
    ["طلب سامر الحمصي", "asked by samer", CITIZEN_NN, f"ref {CITIZEN_NN.translate(ARABIC)}"],
)
async def test_the_reason_may_not_name_the_citizen(world: World, reason: str) -> None:
    """The reason is kept in clear for auditors: naming the person would defeat the forget."""
    before = await world.written()
    with pytest.raises(ValidationError) as refused:
        await forget(world, world.key(), reason=reason)
    assert refused.value.field == "reason"
    assert await world.written() == before
    await forget(world, world.key(), reason="Samera's request was withdrawn")  # not the name
