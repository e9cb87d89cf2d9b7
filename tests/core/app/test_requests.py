"""A request's journey through the command handlers: payment, the agency, the document."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from khidma.core.app import Khidma, NotFound
from khidma.core.domain.catalog import Collector
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.tracking import request_id

from .request_world import (
    ARABIC,
    CITIZEN_NN,
    CIVIL,
    COUNCIL,
    CRIMINAL,
    DAMASCUS,
    LEASE,
    RELATIVE_NN,
    World,
    seed,
)

if TYPE_CHECKING:
    from .conftest import FixedClock

pytestmark = pytest.mark.store


@pytest.fixture
async def world(khidma: Khidma) -> World:
    return await seed(khidma)


async def roles_of(world: World, number: str) -> list[str]:
    records = await world.store.read_stream(request_id(number))
    return [str(r.metadata["actor_role"]) for r in records]


async def ready(world: World) -> str:
    """A request filed on the portal, issued, certified and ready at Homs."""
    number = (await world.issued())["tracking_number"]
    clerk = world.staff["homs_civil"]
    await world.requests.certify(clerk, world.key(), number)
    await world.requests.mark_ready(clerk, world.key(), number)
    return number


# -- the whole journey ---------------------------------------------------------------------------


async def test_filed_paid_forwarded_accepted_issued_certified_ready_handed_to_a_relative(
    world: World,
) -> None:
    clerk, registry = world.staff["homs_civil"], world.agency(CIVIL)
    filed = await world.file()
    number = filed["tracking_number"]

    paid = await world.pay(number, filed["fee_total"])
    assert paid["status"] == "paid"
    request = await world.load(number)
    assert request.payment is not None and request.payment["amount"] == 2000
    assert request.due_on == date(2026, 3, 15), "3 working days, Friday and Saturday off"

    steps: list[tuple[Callable[[], Awaitable[dict[str, Any]]], str]] = [
        (lambda: world.requests.forward(clerk, world.key(), number), "sent_to_agency"),
        (
            lambda: world.requests.record_agency_answer(
                registry, world.key(), number, accepted_reference="CR-REF-77"
            ),
            "agency_processing",
        ),
        (
            lambda: world.requests.record_agency_answer(
                registry, world.key(), number, document_reference="BS-2026-000123"
            ),
            "issued",
        ),
        (lambda: world.requests.certify(clerk, world.key(), number), "certified"),
        (lambda: world.requests.mark_ready(clerk, world.key(), number), "ready_for_pickup"),
        (
            lambda: world.requests.hand_over(
                clerk,
                world.key(),
                number,
                recipient="first_degree_relative",
                recipient_national_number=RELATIVE_NN.translate(ARABIC),
                relation="father",
            ),
            "collected",
        ),
    ]
    for step, status in steps:
        result = await step()
        assert result == {"request_id": filed["request_id"], "tracking_number": number,
                          "status": status}  # fmt: skip

    request = await world.load(number)
    assert request.status is Status.COLLECTED
    assert (request.agency_reference, request.document_reference) == ("CR-REF-77", "BS-2026-000123")
    assert request.collected_by == {
        "recipient": Collector.FIRST_DEGREE_RELATIVE,
        "citizen_id": await world.citizen_id(RELATIVE_NN),
        "national_number": RELATIVE_NN,
        "relation": "father",
        "proxy_document": None,
    }
    assert [(c["from"], c["to"]) for c in request.custody] == [
        ("agency:civil_registry", "centre:HMS-01"),
        ("centre:HMS-01", "citizen:first_degree_relative"),
    ]
    assert await world.topics(number) == [
        "Submitted", "FeeAssessed", "PaymentRecorded", "SentToAgency", "AcceptedByAgency",
        "Issued", "Certified", "ReadyForPickup", "Collected",
    ]  # fmt: skip
    assert await roles_of(world, number) == [
        "citizen", "citizen", "system", "clerk", "agency", "agency", "clerk", "clerk", "clerk",
    ]  # fmt: skip


async def test_a_direct_access_service_is_issued_at_once_by_a_clerk_with_the_permission(
    world: World,
) -> None:
    clerk = world.staff["homs_justice"]
    filed = await world.file(CRIMINAL, form={})
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])

    key = world.key()
    result = await world.requests.forward(clerk, key, number, document_reference="CRIM-55")

    assert result["status"] == "issued"
    records = await world.store.read_stream(request_id(number))
    assert [r.topic.rsplit(".", 1)[-1] for r in records[-2:]] == ["SentToAgency", "Issued"]
    assert {r.metadata["idempotency_key"] for r in records[-2:]} == {key}, "one command"
    await world.requests.certify(clerk, world.key(), number)
    await world.requests.mark_ready(clerk, world.key(), number)
    await world.requests.hand_over(
        clerk, world.key(), number, recipient="self", recipient_national_number=CITIZEN_NN
    )
    assert (await world.load(number)).status is Status.COLLECTED


async def test_a_counter_request_delivered_home_by_post(world: World) -> None:
    clerk = world.staff["homs_civil"]
    filed = await world.file(
        actor=clerk, national_number=CITIZEN_NN, delivery="home", home_address="حمص، الوعر"
    )
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(clerk, world.key(), number)
    await world.requests.record_agency_answer(
        world.agency(CIVIL), world.key(), number, document_reference="BS-1"
    )
    await world.requests.certify(clerk, world.key(), number)
    with pytest.raises(InvalidTransition):
        await world.requests.mark_ready(clerk, world.key(), number)

    await world.requests.dispatch_by_post(clerk, world.key(), number, postal_tracking="SY-99")
    await world.requests.record_delivery(world.system, world.key(), number)

    request = await world.load(number)
    assert request.status is Status.DELIVERED
    assert [c["to"] for c in request.custody] == ["centre:HMS-01", "post", "citizen:home"]


async def test_a_portal_request_by_post_is_issued_to_a_real_centre(world: World) -> None:
    filed = await world.file(
        delivery="post_office", post_office="بريد المزة", processing_centre=DAMASCUS
    )
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["dam_supervisor"], world.key(), number)
    await world.requests.record_agency_answer(
        world.agency(CIVIL), world.key(), number, document_reference="BS-9"
    )

    assert (await world.load(number)).document_at != "centre:None"


async def test_a_free_service_skips_payment(world: World) -> None:
    filed = await world.file(LEASE, pickup_centre=DAMASCUS)  # no surcharge there
    number = filed["tracking_number"]
    assert (filed["fee_total"], filed["status"]) == (0, "submitted")
    assert (await world.load(number)).due_on == date(2026, 3, 17), "clock runs from filing"
    before = await world.written()

    with pytest.raises(InvalidTransition):
        await world.pay(number, 0)
    assert await world.written() == before

    result = await world.requests.forward(world.staff["dam_council"], world.key(), number)
    assert result["status"] == "sent_to_agency"
    assert "PaymentRecorded" not in await world.topics(number)


async def test_an_unpaid_request_may_not_be_forwarded(world: World) -> None:
    number = (await world.file())["tracking_number"]
    before = await world.written()

    with pytest.raises(InvalidTransition):
        await world.requests.forward(world.staff["homs_civil"], world.key(), number)
    assert await world.written() == before


async def test_rejection_after_payment_then_refund(world: World) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)

    await world.requests.record_agency_answer(
        world.agency(CIVIL), world.key(), number, rejection_reason="الطلاق غير مكتسب الدرجة القطعية"
    )
    refunded = await world.requests.refund(
        world.staff["homs_supervisor"], world.key(), number, refund_ref="RF-1"
    )

    assert refunded["status"] == "refunded"
    request = await world.load(number)
    assert request.rejection_reason == "الطلاق غير مكتسب الدرجة القطعية"
    assert request.refund is not None and request.refund["amount"] == 2000
    before = await world.written()
    with pytest.raises(InvalidTransition):
        await world.requests.refund(world.system, world.key(), number, refund_ref="RF-2")
    assert await world.written() == before


async def test_nothing_to_refund_on_an_unpaid_rejection(world: World) -> None:
    number = (await world.file(LEASE, pickup_centre=DAMASCUS))["tracking_number"]
    await world.requests.forward(world.staff["dam_council"], world.key(), number)
    await world.requests.record_agency_answer(
        world.agency(COUNCIL), world.key(), number, rejection_reason="لا يوجد عقد"
    )

    with pytest.raises(InvalidTransition, match="nothing was paid"):
        await world.requests.refund(world.system, world.key(), number, refund_ref="RF-1")


async def test_cancellation_before_and_after_payment(world: World) -> None:
    unpaid = (await world.file())["tracking_number"]
    result = await world.requests.cancel(world.citizen, world.key(), unpaid, reason="لم أعد أحتاجه")
    assert result["status"] == "cancelled"
    with pytest.raises(InvalidTransition):
        await world.pay(unpaid, 2000)

    paid = (await world.file())["tracking_number"]
    await world.pay(paid, 2000)
    await world.requests.cancel(world.citizen, world.key(), paid, reason="سافرت")
    refunded = await world.requests.refund(world.system, world.key(), paid, refund_ref="RF-7")
    assert refunded["status"] == "refunded"

    sent = (await world.file())["tracking_number"]
    await world.pay(sent, 2000)
    await world.requests.forward(world.staff["homs_civil"], world.key(), sent)
    before = await world.written()
    with pytest.raises(InvalidTransition):
        await world.requests.cancel(world.citizen, world.key(), sent, reason="late")
    assert await world.written() == before


async def test_the_agency_asks_for_information_and_the_citizen_provides_it(
    world: World, clock: FixedClock
) -> None:
    filed = await world.file()
    number = filed["tracking_number"]
    await world.pay(number, filed["fee_total"])
    await world.requests.forward(world.staff["homs_civil"], world.key(), number)

    asked = await world.requests.ask_for_information(
        world.agency(CIVIL), world.key(), number, what="صورة البطاقة الشخصية"
    )
    assert asked["status"] == "info_required"
    assert (await world.load(number)).due_clock.is_paused  # type: ignore[union-attr]
    clock.advance(days=7)
    provided = await world.requests.provide_information(
        world.citizen, world.key(), number, answer={"remarks": "أرسلت الصورة"}
    )

    assert provided["status"] == "agency_processing"
    request = await world.load(number)
    assert request.form["remarks"] == "أرسلت الصورة"
    assert request.due_on == date(2026, 3, 22), "the clock continued where it stopped"


async def test_an_uncollected_document_expires_after_the_validity(
    world: World, clock: FixedClock
) -> None:
    number = await ready(world)
    clock.advance(days=29)
    with pytest.raises(InvalidTransition):
        await world.requests.expire(world.system, world.key(), number)

    clock.advance(days=1)
    assert (await world.requests.expire(world.system, world.key(), number))["status"] == "expired"


async def test_a_new_pickup_centre_moves_the_document_and_the_clerks_who_reach_it(
    world: World,
) -> None:
    number = await ready(world)

    moved = await world.requests.change_pickup_centre(
        world.citizen, world.key(), number, centre=DAMASCUS
    )

    assert moved["status"] == "certified"
    # Not ready at the new centre yet, and not to be collected at the old one.
    with pytest.raises((NotAllowed, InvalidTransition)):
        await world.requests.hand_over(
            world.staff["homs_civil"], world.key(), number,
            recipient="self", recipient_national_number=CITIZEN_NN,
        )  # fmt: skip
    clerk = world.staff["dam_civil"]
    await world.requests.mark_ready(clerk, world.key(), number)
    await world.requests.hand_over(
        clerk, world.key(), number, recipient="self", recipient_national_number=CITIZEN_NN
    )
    request = await world.load(number)
    assert [c["to"] for c in request.custody] == ["centre:HMS-01", "centre:DAM-01", "citizen:self"]


async def test_a_supervisor_assigns_a_clerk(world: World) -> None:
    number = (await world.file())["tracking_number"]
    clerk_id = world.staff["homs_civil"].id

    await world.requests.assign_clerk(
        world.staff["homs_supervisor"], world.key(), number, clerk_id=clerk_id
    )

    assert (await world.load(number)).clerk_id == clerk_id
    with pytest.raises(ValidationError) as error:
        await world.requests.assign_clerk(
            world.staff["homs_supervisor"], world.key(), number, clerk_id=clerk_id
        )
    assert error.value.field == "clerk_id"


async def test_assigning_someone_who_is_not_a_clerk_is_refused(world: World) -> None:
    number = (await world.file())["tracking_number"]
    before = await world.written()

    with pytest.raises((ValidationError, NotFound)):
        await world.requests.assign_clerk(
            world.staff["homs_supervisor"], world.key(), number, clerk_id=uuid.uuid4()
        )
    assert await world.written() == before


# -- who may hand the document over, and to whom -------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "national_number", "extra", "error"),
    [
        ("first_degree_relative", RELATIVE_NN, {"relation": "cousin"}, ValidationError),
        ("first_degree_relative", RELATIVE_NN, {}, ValidationError),
        ("proxy", RELATIVE_NN, {"proxy_document": "وكالة 12/2026"}, NotAllowed),
        ("self", RELATIVE_NN, {}, NotAllowed),
        ("first_degree_relative", CITIZEN_NN, {"relation": "son"}, ValidationError),
        ("neighbour", RELATIVE_NN, {}, ValidationError),
        ("self", "0102030405", {}, ValidationError),
    ],
    ids=[
        "cousin",
        "no-relation",
        "proxy-not-allowed",
        "someone-else-as-self",
        "self-as-relative",
        "unknown-recipient",
        "bad-national-number",
    ],
)
async def test_only_those_the_service_allows_may_collect(
    world: World, recipient: str, national_number: str, extra: dict[str, Any], error: type
) -> None:
    number = await ready(world)
    before = await world.written()

    with pytest.raises(error):
        await world.requests.hand_over(
            world.staff["homs_civil"], world.key(), number, recipient=recipient,
            recipient_national_number=national_number, **extra,
        )  # fmt: skip
    assert await world.written() == before


async def test_a_bad_recipient_national_number_names_its_field(world: World) -> None:
    number = await ready(world)

    with pytest.raises(ValidationError) as error:
        await world.requests.hand_over(
            world.staff["homs_civil"], world.key(), number,
            recipient="self", recipient_national_number="0102030405",
        )  # fmt: skip
    assert error.value.field == "recipient_national_number"


async def test_a_relative_without_an_account_collects_and_no_account_is_made(
    world: World,
) -> None:
    number = await ready(world)
    stranger = "06060606060"  # a first-degree relative who never registered
    with pytest.raises(NotAllowed):
        await world.requests.hand_over(
            world.staff["homs_civil"], world.key(), number,
            recipient="self", recipient_national_number=stranger,
        )  # fmt: skip
    await world.requests.hand_over(
        world.staff["homs_civil"], world.key(), number, recipient="first_degree_relative",
        recipient_national_number=stranger, relation="mother",
    )  # fmt: skip
    request = await world.load(number)
    assert request.collected_by is not None
    assert request.collected_by["citizen_id"] is None
    assert request.collected_by["national_number"] == stranger
    assert await world.citizen_id(stranger) is None, "collecting gives no one an id"


async def test_only_the_pickup_centre_certifies_a_document_to_be_collected(world: World) -> None:
    number = (
        await world.issued(
            actor=world.staff["homs_civil"], national_number=CITIZEN_NN, pickup_centre=DAMASCUS
        )
    )["tracking_number"]
    before = await world.written()

    with pytest.raises(NotAllowed):
        await world.requests.certify(world.staff["homs_civil"], world.key(), number)
    assert await world.written() == before
