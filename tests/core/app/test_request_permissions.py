"""Who may run which command on a request (roles, سماحيات, centres), and bad input refused."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest

from khidma.core.app import Actor, Khidma, NotFound
from khidma.core.app.permissions import COMMANDS
from khidma.core.app.requests import RequestCommands
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Staff
from khidma.core.domain.tracking import format_tracking_number

from .request_world import (
    ADMIN_ID,
    ARABIC,
    BIRTH,
    CITIZEN_NN,
    CIVIL,
    DAMASCUS,
    HOMS,
    JUSTICE,
    SEEDED_AT,
    World,
    seed,
)

pytestmark = pytest.mark.store


@pytest.fixture
async def world(khidma: Khidma) -> World:
    return await seed(khidma)


# -- reach: the permission (سماحية), the agency, the centre, the citizen -------------------------


async def forwardable(world: World) -> str:
    filed = await world.file()
    await world.pay(filed["tracking_number"], filed["fee_total"])
    return filed["tracking_number"]


@pytest.mark.parametrize(
    "who",
    ["homs_civil_bare", "homs_justice", "dam_civil", "unknown_clerk"],
    ids=["without-the-permission", "of-another-agency", "at-another-centre", "no-staff-record"],
)
async def test_a_clerk_without_reach_may_not_forward(world: World, who: str) -> None:
    number = await forwardable(world)
    if who == "unknown_clerk":
        actor = Actor(uuid.uuid4(), Role.CLERK, centre=HOMS, agency=CIVIL)
    else:
        actor = world.staff[who]
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.forward(actor, world.key(), number)
    assert await world.written() == before
    assert (await world.load(number)).status is Status.PAID


async def test_the_missing_permission_is_named(world: World) -> None:
    number = await forwardable(world)

    with pytest.raises(NotAllowed, match=r"civil_registry\.forward"):
        await world.requests.forward(world.staff["homs_civil_bare"], world.key(), number)


@pytest.mark.parametrize("change", ["revoke", "deactivate"])
async def test_a_revoked_permission_or_a_departed_clerk_is_refused(
    world: World, change: str
) -> None:
    number = await forwardable(world)
    clerk = world.staff["homs_civil"]
    record = await world.khidma.runner.repository.get(clerk.id)
    assert isinstance(record, Staff)
    if change == "revoke":
        record.revoke("civil_registry.forward", ADMIN_ID, SEEDED_AT, "انتهى التدريب")
    else:
        record.deactivate(by=ADMIN_ID, at=SEEDED_AT, reason="عقد موسمي")
    await world.khidma.runner.repository.save(record)
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.forward(clerk, world.key(), number)
    assert await world.written() == before


async def test_a_supervisor_forwards_by_role(world: World) -> None:
    number = await forwardable(world)

    result = await world.requests.forward(world.staff["homs_supervisor"], world.key(), number)

    assert result["status"] == "sent_to_agency"


async def test_a_supervisor_of_another_centre_may_not_act_on_the_request(world: World) -> None:
    number = await forwardable(world)
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.forward(world.staff["dam_supervisor"], world.key(), number)
    assert await world.written() == before


async def test_staff_with_no_centre_reach_no_request(world: World) -> None:
    number = await forwardable(world)
    before = await world.written()
    nowhere = Actor(uuid.uuid4(), Role.SUPERVISOR)  # a token that names no centre

    with pytest.raises(NotAllowed, match="their own centre"):
        await world.requests.forward(nowhere, world.key(), number)
    assert await world.written() == before


async def test_an_agency_answers_only_its_own_requests(world: World) -> None:
    number = await forwardable(world)
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.record_agency_answer(
            world.agency(JUSTICE), world.key(), number, document_reference="X-1"
        )
    with pytest.raises(NotAllowed):
        await world.requests.ask_for_information(
            world.agency(JUSTICE), world.key(), number, what="?"
        )
    assert await world.written() == before


async def test_the_certifying_and_handing_over_clerks_need_their_permissions(world: World) -> None:
    number = (await world.issued())["tracking_number"]
    bare = world.staff["homs_civil_bare"]
    before = await world.written()
    with pytest.raises(NotAllowed, match=r"civil_registry\.certify"):
        await world.requests.certify(bare, world.key(), number)
    assert await world.written() == before

    await world.requests.certify(world.staff["homs_civil"], world.key(), number)
    await world.requests.mark_ready(bare, world.key(), number)  # no agency system involved
    before = await world.written()
    with pytest.raises(NotAllowed, match=r"civil_registry\.hand_over"):
        await world.requests.hand_over(
            bare, world.key(), number, recipient="self", recipient_national_number=CITIZEN_NN
        )
    assert await world.written() == before


async def test_a_citizen_acts_only_on_their_own_requests(world: World) -> None:
    number = (await world.file())["tracking_number"]
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.cancel(world.relative, world.key(), number, reason="x")
    with pytest.raises(NotAllowed):
        await world.requests.change_pickup_centre(
            world.relative, world.key(), number, centre=DAMASCUS
        )
    assert await world.written() == before


# -- the permission table, command by command ----------------------------------------------------

INVOKE: dict[str, tuple[str, dict[str, Any]]] = {
    "submit_request": ("submit", {"service_code": BIRTH, "form": {"copies": 1},
                                  "delivery": "pickup", "pickup_centre": HOMS}),
    "record_payment": ("record_payment", {"payment_ref": "P-1", "provider": "SEP", "amount": 2000}),
    "cancel_request": ("cancel", {"reason": "x"}),
    "forward_request": ("forward", {}),
    "record_agency_answer": ("record_agency_answer", {"accepted_reference": "A-1"}),
    "ask_for_information": ("ask_for_information", {"what": "?"}),
    "provide_information": ("provide_information", {"answer": {"copies": 2}}),
    "refund_request": ("refund", {"refund_ref": "R-1"}),
    "certify_document": ("certify", {}),
    "mark_ready": ("mark_ready", {}),
    "change_pickup_centre": ("change_pickup_centre", {"centre": DAMASCUS}),
    "hand_over": ("hand_over", {"recipient": "self", "recipient_national_number": CITIZEN_NN}),
    "dispatch_by_post": ("dispatch_by_post", {"postal_tracking": "P-1"}),
    "record_delivery": ("record_delivery", {}),
    "expire_request": ("expire", {}),
    "assign_clerk": ("assign_clerk", {"clerk_id": uuid.uuid4()}),
    "add_note": ("add_note", {"text": "x"}),
}  # fmt: skip


def invoke(world: World, command: str, actor: Actor, key: str, number: str) -> Awaitable[Any]:
    method, arguments = INVOKE[command]
    if method == "submit":
        return world.requests.submit(actor, key, national_number=CITIZEN_NN, **arguments)
    return getattr(world.requests, method)(actor, key, number, **arguments)


def test_the_table_covers_every_request_command() -> None:
    public = {name for name in vars(RequestCommands) if not name.startswith("_")}
    assert {method for method, _ in INVOKE.values()} == public | {"submit"}
    assert set(INVOKE) <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(INVOKE))
async def test_roles_the_table_does_not_allow_are_refused_and_nothing_is_written(
    world: World, command: str
) -> None:
    number = (await world.file())["tracking_number"]
    refused = [role for role in Role if role not in COMMANDS[command]]
    assert refused, f"every role may {command}?"
    before = await world.written()

    for role in refused:
        with pytest.raises(NotAllowed) as error:
            await invoke(world, command, world.actor(role), world.key(), number)
        assert error.value.action == command
        assert "role" in error.value.reason, f"{role}: refused by the table, not by scope"
    assert await world.written() == before


async def test_a_clerk_of_another_centre_reaches_no_request_command(world: World) -> None:
    number = (await world.file())["tracking_number"]
    before = await world.written()

    for command in sorted(INVOKE):
        if Role.CLERK not in COMMANDS[command] or command == "submit_request":
            continue
        with pytest.raises(NotAllowed):
            await invoke(world, command, world.staff["dam_civil"], world.key(), number)
    assert await world.written() == before


# -- bad input -----------------------------------------------------------------------------------


async def test_bad_tracking_numbers_are_refused_naming_the_field(world: World) -> None:
    number = (await world.file())["tracking_number"]
    wrong_check = number[:-1] + str((int(number[-1]) + 1) % 10)
    body = number[:-2]  # a swap of the sequence's last two digits: the Damm check catches it
    swapped = body[:-2] + body[-1] + body[-2] + number[-2:]
    before = await world.written()

    for bad in ["HMS-2026-0000001", "HMS-26-0000001-2", "", "٠", wrong_check, swapped, 42, None]:
        with pytest.raises(ValidationError) as error:
            await world.requests.add_note(world.staff["homs_civil"], world.key(), bad, text="x")  # type: ignore[arg-type]
        assert error.value.field == "tracking_number", bad
    assert await world.written() == before


async def test_a_tracking_number_as_people_type_it_is_accepted(world: World) -> None:
    number = (await world.file())["tracking_number"]
    typed = number.lower().replace("-", " ").translate(ARABIC)

    result = await world.requests.add_note(world.staff["homs_civil"], world.key(), typed, text="x")

    assert result["tracking_number"] == number


async def test_an_unknown_request_is_not_found(world: World) -> None:
    await world.file()
    unknown = format_tracking_number("HMS", 2026, 999)
    before = await world.written()

    with pytest.raises(NotFound):
        await world.requests.add_note(world.staff["homs_civil"], world.key(), unknown, text="x")
    assert await world.written() == before


@pytest.mark.parametrize(
    ("command", "arguments", "field"),
    [
        ("record_payment", {"amount": -2000}, "amount"),
        ("record_payment", {"amount": 2000.0}, "amount"),
        ("record_payment", {"amount": 1999.5}, "amount"),
        ("record_payment", {"amount": Decimal("2000")}, "amount"),
        ("record_payment", {"amount": True}, "amount"),
        ("record_payment", {"amount": "2000"}, "amount"),
        ("record_payment", {"amount": 1999}, "amount"),
        ("record_payment", {"payment_ref": ""}, "payment_ref"),
        ("record_payment", {"payment_ref": "p" * 101}, "payment_ref"),
        ("record_payment", {"provider": "p" * 101}, "provider"),
        ("add_note", {"text": "ن" * 2001}, "text"),
        ("add_note", {"text": "   "}, "text"),
        ("cancel_request", {"reason": "س" * 501}, "reason"),
        ("cancel_request", {"reason": ""}, "reason"),
        ("record_agency_answer", {"accepted_reference": None}, "answer"),
        ("record_agency_answer", {"document_reference": "D-1"}, "answer"),
        ("change_pickup_centre", {"centre": "ZZZ-99"}, "centre"),
        ("change_pickup_centre", {"centre": HOMS}, "centre"),
        ("add_note", {"key": "short"}, "idempotency_key"),
        ("record_payment", {"key": "with spaces ok?"}, "idempotency_key"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    world: World, command: str, arguments: dict[str, Any], field: str
) -> None:
    number = (await world.file())["tracking_number"]
    method, defaults = INVOKE[command]
    by_citizen = {"cancel_request", "change_pickup_centre"}
    actor = world.citizen if command in by_citizen else world.staff["homs_civil"]
    if command == "record_payment":
        actor = world.system
    arguments = dict(arguments)
    key = arguments.pop("key", world.key())
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await getattr(world.requests, method)(actor, key, number, **{**defaults, **arguments})

    assert error.value.field == field
    assert await world.written() == before


async def test_information_provided_is_validated_against_the_form(world: World) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    await world.requests.ask_for_information(world.agency(CIVIL), world.key(), number, what="?")
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await world.requests.provide_information(
            world.citizen, world.key(), number, answer={"colour": "x" * 100_000}
        )
    assert error.value.field in {"answer.colour", "form.colour"}
    assert await world.written() == before
