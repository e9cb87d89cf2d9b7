"""Filing a request: prefilled forms, fees, tracking numbers, idempotency and bad input."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from khidma.core.app import Actor, Khidma, NotFound
from khidma.core.app.submission import TrackingNumbers
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.lifecycle import Channel, Status
from khidma.core.domain.roles import Role
from khidma.core.domain.tracking import check_digit, parse_tracking_number, request_id
from khidma.core.privacy import numbers_of

from .request_world import (
    ARABIC,
    BIRTH,
    CITIZEN_NN,
    CRIMINAL,
    DAMASCUS,
    ESTATE,
    HOMS,
    LEASE,
    SEEDED_AT,
    World,
    new_citizen,
    seed,
)

if TYPE_CHECKING:
    from .conftest import FixedClock

pytestmark = pytest.mark.store


@pytest.fixture
async def world(khidma: Khidma) -> World:
    return await seed(khidma)


async def numbers_drawn(world: World) -> int:
    return await world.store.pool.fetchval("SELECT coalesce(sum(last), 0) FROM request_numbers")


async def change_catalog(world: World, change: Any) -> None:
    """Change the catalog as an administrator would, outside the request commands."""
    catalog = await world.khidma.runner.repository.get(Catalog.id_for())
    change(catalog)
    await world.khidma.runner.repository.save(catalog)


# -- filing on the portal ----------------------------------------------------------------------


async def test_citizen_files_on_the_portal_with_the_form_prefilled_from_their_profile(
    world: World,
) -> None:
    filed = await world.file(form={"copies": 2, "purpose": "travel"})

    number = filed["tracking_number"]
    assert filed == {
        "request_id": str(request_id(number)),
        "tracking_number": number,
        "status": "awaiting_payment",
        "fee_total": 2000,
    }
    request = await world.load(number)
    assert request.form == {
        "national_number": CITIZEN_NN,
        "first_name_ar": "سامر",
        "father_name": "خالد",
        "birth_date": "1990-04-02",
        "copies": 2,
        "purpose": "travel",
    }
    assert request.citizen_id == world.citizen.id
    assert (request.channel, request.origin_centre, request.pickup_centre) == (
        Channel.PORTAL,
        None,
        HOMS,
    )
    assert (request.service_code, request.agency_code) == (BIRTH, "civil_registry")
    assert await world.topics(number) == ["Submitted", "FeeAssessed"]


async def test_what_the_citizen_types_wins_over_the_prefilled_value(world: World) -> None:
    filed = await world.file(form={"copies": 1, "father_name": "  خالد أحمد  "})

    assert (await world.load(filed["tracking_number"])).form["father_name"] == "خالد أحمد"


async def test_arabic_indic_digits_in_form_fields_are_normalised(world: World) -> None:
    form = {
        "copies": "٣",
        "birth_date": "١٩٩١-٠٥-٠٦",
        "national_number": CITIZEN_NN.translate(ARABIC),
    }
    filed = await world.file(form=form)

    request = await world.load(filed["tracking_number"])
    assert request.form["copies"] == 3
    assert request.form["birth_date"] == "1991-05-06"
    assert request.form["national_number"] == CITIZEN_NN


async def test_a_clerk_files_at_the_counter_by_a_national_number_in_arabic_indic_digits(
    world: World,
) -> None:
    filed = await world.file(
        actor=world.staff["homs_civil"],
        national_number=CITIZEN_NN.translate(ARABIC),
        pickup_centre=DAMASCUS,
    )

    number = filed["tracking_number"]
    assert number.startswith("HMS-2026-"), "numbered where it was filed"
    request = await world.load(number)
    assert request.citizen_id == await world.citizen_id(CITIZEN_NN)
    assert (request.channel, request.origin_centre, request.pickup_centre) == (
        Channel.COUNTER,
        HOMS,
        DAMASCUS,
    )
    assert request.fee is not None
    assert request.fee["surcharge"] == 500, "the surcharge of the centre it was filed at"


async def test_an_incomplete_profile_leaves_required_fields_to_fill_in(world: World) -> None:
    newcomer_id = await numbers_of(world.store).ensure("05050505050")
    newcomer = new_citizen("05050505050", citizen_id=newcomer_id, complete=False)
    await world.khidma.runner.repository.save(newcomer)
    actor = Actor(newcomer.id, Role.CITIZEN, channel=Channel.APP)
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await world.file(actor=actor)
    assert error.value.field == "form.father_name"
    assert await world.written() == before

    filed = await world.file(
        actor=actor, form={"copies": 1, "father_name": "خالد", "birth_date": "2001-01-01"}
    )
    request = await world.load(filed["tracking_number"])
    assert request.channel is Channel.APP
    assert request.form["national_number"] == "05050505050"


# -- fees ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "options", "agency_fee", "surcharge", "decision"),
    [
        (BIRTH, {"pickup_centre": HOMS}, 1500, 500, "HMS-2026/1"),
        (BIRTH, {"pickup_centre": DAMASCUS}, 1500, 300, "DAM-2026/7"),
        (CRIMINAL, {"pickup_centre": HOMS}, 2000, 500, "HMS-2026/1"),
        (CRIMINAL, {"pickup_centre": DAMASCUS}, 2000, 0, None),
        # By post: the governorate of the centre that handles it (Damascus).
        (
            BIRTH,
            {"delivery": "post_office", "post_office": "بريد المزة", "processing_centre": DAMASCUS},
            1500,
            300,
            "DAM-2026/7",
        ),
        (LEASE, {"pickup_centre": DAMASCUS}, 0, 0, None),
    ],
    ids=["birth-homs", "birth-damascus", "criminal-homs", "criminal-damascus", "post", "free"],
)
async def test_fee_is_the_agency_fee_plus_the_governorate_surcharge_in_force(
    world: World,
    service: str,
    options: dict[str, Any],
    agency_fee: int,
    surcharge: int,
    decision: str | None,
) -> None:
    filed = await world.file(service, **options)

    total = agency_fee + surcharge
    assert filed["fee_total"] == total
    request = await world.load(filed["tracking_number"])
    assert request.fee == {
        "agency_fee": agency_fee,
        "surcharge": surcharge,
        "total": total,
        "decision_ref": decision,
        "assessed_on": date(2026, 3, 10),
    }
    assert request.status is (Status.AWAITING_PAYMENT if total else Status.SUBMITTED)


async def test_the_surcharge_in_force_is_that_of_the_day_in_syria(
    world: World, clock: FixedClock
) -> None:
    await change_catalog(
        world,
        lambda c: c.decide_surcharge(
            "HMS", None, 800, date(2026, 3, 11), "HMS-2026/2", at=SEEDED_AT
        ),
    )

    clock.set(datetime(2026, 3, 10, 20, 59, tzinfo=UTC))  # 23:59 on the 10th in Damascus
    before = await world.file()
    clock.set(datetime(2026, 3, 10, 21, 0, tzinfo=UTC))  # midnight: the 11th in Damascus
    after = await world.file()

    assert (before["fee_total"], after["fee_total"]) == (2000, 2300)
    fee = (await world.load(after["tracking_number"])).fee
    assert fee is not None
    assert (fee["decision_ref"], fee["assessed_on"]) == ("HMS-2026/2", date(2026, 3, 11))


async def test_a_surcharge_decided_later_does_not_change_an_assessed_fee(world: World) -> None:
    filed = await world.file()
    assessed = (await world.load(filed["tracking_number"])).fee

    # A council decision recorded afterwards, even one effective from an earlier date.
    await change_catalog(
        world,
        lambda c: c.decide_surcharge(
            "HMS", BIRTH, 900, date(2026, 3, 1), "HMS-2026/9", at=SEEDED_AT
        ),
    )

    request = await world.load(filed["tracking_number"])
    assert request.fee == assessed
    assert (await world.file())["fee_total"] == 2400, "new requests pay the new surcharge"
    await world.pay(filed["tracking_number"], 2000)


# -- tracking numbers ----------------------------------------------------------------------------


async def test_thirty_concurrent_submissions_get_unique_valid_numbers(world: World) -> None:
    homs = [world.file(pickup_centre=HOMS) for _ in range(20)]
    damascus = [world.file(pickup_centre=DAMASCUS) for _ in range(10)]

    results = await asyncio.gather(*homs, *damascus)

    numbers = [r["tracking_number"] for r in results]
    assert len(set(numbers)) == 30
    for number in numbers:
        _, year, sequence, check = number.split("-")
        assert parse_tracking_number(number) == number
        assert check_digit(year + sequence) == int(check)
        assert year == "2026"
    assert all(n.startswith("HMS-") for n in numbers[:20])
    assert all(n.startswith("DAM-") for n in numbers[20:])
    sequences = sorted(int(n.split("-")[2]) for n in numbers)
    assert sequences == sorted([*range(1, 21), *range(1, 11)]), "one counter per governorate"
    for result in results:
        assert (await world.load(result["tracking_number"])).tracking_number == (
            result["tracking_number"]
        )


async def test_two_processes_drawing_numbers_at_once_never_share_one(world: World) -> None:
    here, there = TrackingNumbers(world.store.pool), TrackingNumbers(world.store.pool)
    drawn = await asyncio.gather(
        *(numbers.next("HMS", 2027) for _ in range(130) for numbers in (here, there))
    )
    assert len(set(drawn)) == 260
    sequences = sorted(int(n.split("-")[2]) for n in drawn)
    # Blocks reserved ahead of need leave the last ones unused, never more than two blocks.
    assert sequences[-1] - 260 <= 2 * 2 * TrackingNumbers.BLOCK
    assert all(parse_tracking_number(n) == n for n in drawn)


# -- idempotency ---------------------------------------------------------------------------------


def submit(world: World, actor: Actor, key: str, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "service_code": BIRTH,
        "form": {"copies": 1},
        "delivery": "pickup",
        "pickup_centre": HOMS,
    }
    return world.requests.submit(actor, key, **{**arguments, **changes})


async def test_the_same_key_twice_returns_the_first_result_and_writes_nothing(
    world: World,
) -> None:
    key = world.key()
    first = await submit(world, world.citizen, key)
    written = await world.written()

    again = await submit(world, world.citizen, key)
    changed = await submit(world, world.citizen, key, form={"copies": 4}, pickup_centre=DAMASCUS)

    assert again == first
    assert changed == first
    # No event and no command row; a tracking number may be skipped (they are unique, with gaps).
    assert await world.written() == written


async def test_a_concurrent_duplicate_submission_writes_once(world: World) -> None:
    key = world.key()
    before_events, before_commands = await world.written()

    results = await asyncio.gather(*(submit(world, world.citizen, key) for _ in range(5)))

    assert all(r == results[0] for r in results)
    assert await world.written() == (before_events + 2, before_commands + 1)
    assert await world.topics(results[0]["tracking_number"]) == ["Submitted", "FeeAssessed"]


async def test_the_same_key_for_another_command_or_actor_is_refused(world: World) -> None:
    key = world.key()
    filed = await submit(world, world.citizen, key)
    before = await world.written()

    with pytest.raises(NotAllowed):
        await submit(world, world.relative, key)
    with pytest.raises(NotAllowed):
        await world.requests.add_note(
            world.staff["homs_civil"], key, filed["tracking_number"], text="x"
        )
    with pytest.raises(NotAllowed):
        await world.requests.cancel(world.citizen, key, filed["tracking_number"], reason="x")
    assert await world.written() == before


# -- bad input -----------------------------------------------------------------------------------

LONG = "ب" * 301


def bad(id: str, who: str, changes: dict[str, Any], field: str, _fixed: str = "") -> Any:
    """A bad input case (``_fixed``: the bug this case once exposed)."""
    return pytest.param(who, changes, field, id=id)


BAD_INPUT: list[Any] = [
    bad("nn-10-digits", "clerk", {"national_number": "0102030405"}, "national_number"),
    bad("nn-letter", "clerk", {"national_number": "0102030405x"}, "national_number"),
    bad("nn-12-digits", "clerk", {"national_number": "010203040501"}, "national_number"),
    bad("nn-missing-at-counter", "clerk", {}, "national_number"),
    bad("nn-citizen-malformed", "citizen", {"national_number": "123"}, "national_number"),
    bad(
        "unknown-service",
        "citizen",
        {"service_code": "civil.unicorn"},
        "service_code",
        "submission.py: Catalog.service raises ValidationError('service', …) but the submit "
        "argument is service_code",
    ),
    bad("form-missing-field", "citizen", {"form": {}}, "form.copies"),
    bad(
        "form-not-an-object",
        "citizen",
        {"form": ["copies"]},
        "form",
        "submission.py:80: dict(form) on a non-mapping raises a bare ValueError, not "
        "ValidationError('form')",
    ),
    bad("form-extra-field", "citizen", {"form": {"copies": 1, "colour": "red"}}, "form.colour"),
    bad(
        "birth-date-tomorrow",
        "citizen",
        {"form": {"copies": 1, "birth_date": "2026-03-11"}},
        "form.birth_date",
    ),
    bad(
        "birth-date-future-arabic-digits",
        "citizen",
        {"form": {"copies": 1, "birth_date": "٢٠٢٧-٠١-٠١"}},
        "form.birth_date",
    ),
    bad(
        "birth-date-not-a-day",
        "citizen",
        {"form": {"copies": 1, "birth_date": "1990-02-30"}},
        "form.birth_date",
    ),
    bad("text-too-long", "citizen", {"form": {"copies": 1, "remarks": "ر" * 51}}, "form.remarks"),
    bad("integer-fraction", "citizen", {"form": {"copies": 1.5}}, "form.copies"),
    bad("integer-fraction-text", "citizen", {"form": {"copies": "1.5"}}, "form.copies"),
    bad("integer-negative", "citizen", {"form": {"copies": -1}}, "form.copies"),
    bad("integer-above-max", "citizen", {"form": {"copies": 6}}, "form.copies"),
    bad("choice-unknown", "citizen", {"form": {"copies": 1, "purpose": "fun"}}, "form.purpose"),
    bad(
        "typed-digits-wrong-length",
        "citizen",
        {"form": {"copies": 1, "national_number": "12"}},
        "form.national_number",
    ),
    bad("delivery-unknown", "citizen", {"delivery": "drone"}, "delivery"),
    bad(
        "delivery-not-offered",
        "citizen",
        {"service_code": CRIMINAL, "form": {}, "delivery": "home", "home_address": "حمص"},
        "delivery",
    ),
    bad("pickup-missing", "citizen", {"pickup_centre": None}, "pickup_centre"),
    bad("pickup-unknown", "citizen", {"pickup_centre": "ZZZ-99"}, "pickup_centre"),
    bad(
        "pickup-malformed",
        "citizen",
        {"pickup_centre": "not a code!"},
        "pickup_centre",
        "lookups.py centre(): Centre.id_for(code) validates with field 'code', not the field "
        "passed in; use Centre.create_id(parse_centre_code(code, field))",
    ),
    bad(
        "post-office-missing",
        "citizen",
        {"delivery": "post_office", "pickup_centre": None},
        "post_office",
    ),
    bad(
        "post-office-too-long",
        "citizen",
        {"delivery": "post_office", "post_office": "ب" * 201},
        "post_office",
    ),
    bad(
        "home-address-missing",
        "citizen",
        {"delivery": "home", "pickup_centre": None},
        "home_address",
    ),
    bad(
        "home-address-too-long",
        "citizen",
        {"delivery": "home", "home_address": LONG},
        "home_address",
    ),
    bad("channel-counter-for-citizen", "citizen", {"channel": "counter"}, "channel"),
    bad("channel-unknown", "citizen", {"channel": "fax"}, "channel"),
    bad(
        "service-not-offered-at-the-counter",
        "clerk",
        {"national_number": CITIZEN_NN, "service_code": ESTATE, "form": {}},
        "service_code",
    ),
    bad("key-short", "citizen", {"key": "short"}, "idempotency_key"),
    bad("key-spaces", "citizen", {"key": "has spaces in it"}, "idempotency_key"),
    bad("key-long", "citizen", {"key": "k" * 201}, "idempotency_key"),
    bad("key-not-ascii", "citizen", {"key": "مفتاح-مفتاح-١٢٣"}, "idempotency_key"),
]


@pytest.mark.parametrize(("who", "changes", "field"), BAD_INPUT)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    world: World, who: str, changes: dict[str, Any], field: str
) -> None:
    actor = world.citizen if who == "citizen" else world.staff["homs_civil"]
    changes = dict(changes)
    key = changes.pop("key", world.key())
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await submit(world, actor, key, **changes)

    assert error.value.field == field
    assert await world.written() == before


async def test_a_withdrawn_service_is_refused(world: World) -> None:
    await change_catalog(world, lambda c: c.withdraw_service(LEASE, at=SEEDED_AT))
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await world.file(LEASE)
    assert error.value.field == "service_code"
    assert await world.written() == before


async def test_filing_for_someone_unknown_or_for_another_citizen_is_refused(world: World) -> None:
    before = await world.written()
    stranger = Actor(uuid.uuid4(), Role.CITIZEN, channel=Channel.PORTAL)  # no account

    with pytest.raises(NotFound):
        await world.file(actor=stranger)
    with pytest.raises(NotFound):
        await world.file(actor=world.staff["homs_civil"], national_number="07070707070")
    with pytest.raises(NotAllowed):
        await world.file(national_number="09080706050")
    with pytest.raises(NotAllowed):
        await world.file(
            actor=Actor(world.staff["homs_civil"].id, Role.CLERK), national_number=CITIZEN_NN
        )
    assert await world.written() == before


async def test_the_pickup_centre_is_stored_as_the_centre_code(world: World) -> None:
    filed = await world.file(pickup_centre="hms-٠١")

    assert (await world.load(filed["tracking_number"])).pickup_centre == HOMS


async def test_a_counter_request_for_pickup_at_an_unknown_centre_is_refused(world: World) -> None:
    before = await world.written()

    with pytest.raises(ValidationError) as error:
        await world.file(
            actor=world.staff["homs_civil"], national_number=CITIZEN_NN, pickup_centre="ZZZ-99"
        )
    assert error.value.field == "pickup_centre"
    assert await world.written() == before
