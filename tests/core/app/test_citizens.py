"""Citizen commands: registering, the profile, phone and language; who may act on whom."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from typing import Any

import pytest

from khidma.core.app import Khidma, NotFound
from khidma.core.app.permissions import COMMANDS
from khidma.core.domain.citizen import Citizen, Language
from khidma.core.domain.errors import InvalidTransition, NotAllowed, ValidationError
from khidma.core.domain.governorate import Governorate
from khidma.core.domain.roles import Role
from khidma.core.events import EventStore

from .conftest import (
    actor_for,
    admin,
    citizen,
    citizen_id,
    clerk,
    event_count,
    key,
    supervisor,
)

pytestmark = pytest.mark.store

NN = "01020304050"
# Citizen ids were uuid5(this, national number) before issue 7: the namespace was public.
OLD_NAMESPACE = uuid.UUID("8f3d2a61-4c0e-4b7a-9e55-1d6c2f0b7a19")
OTHER = "09080706050"
NAMES = {
    "first_name_ar": "سامي",
    "first_name_en": "Sami",
    "last_name_ar": "الأحمد",
    "last_name_en": "Al-Ahmad",
}
PROFILE: dict[str, Any] = {
    "father_name": "محمد",
    "mother_name": "فاطمة",
    "birth_date": date(1990, 5, 17),
    "birth_place": "دمشق",
    "registry_place": "المزة",
    "address_governorate": "Damascus",
    "address_city": "دمشق",
    "address_street": "شارع المزة ١٢",
    "phone": "0944123456",
}
CITIZEN_COMMANDS = [
    "register_citizen",
    "complete_profile",
    "update_profile",
    "change_phone",
    "change_email",
    "change_language",
]


async def register(khidma: Khidma, nn: str = NN, **extra: Any) -> dict[str, Any]:
    return await khidma.citizens.register_citizen(
        await citizen(khidma, nn), key(), national_number=nn, **NAMES, **extra
    )


async def load(khidma: Khidma, nn: str = NN) -> Citizen:
    found = await khidma.runner.repository.get(await citizen_id(khidma, nn))
    assert isinstance(found, Citizen)
    return found


# -- register_citizen ----------------------------------------------------------------------------


async def test_a_citizen_registers_themself(khidma: Khidma, store: EventStore) -> None:
    result = await register(khidma, phone="+963 944 123 456", language="en")
    assert result == {
        "citizen_id": str(await citizen_id(khidma, NN)),
        "national_number": NN,
        "profile_complete": False,
    }
    found = await load(khidma)
    assert (found.first_name_en, found.phone, found.language) == ("Sami", "+963944123456", "en")
    assert await event_count(store) == 1
    metadata = await store.pool.fetchval("SELECT metadata FROM events")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["actor_role"] == "citizen"
    assert metadata["actor_id"] == result["citizen_id"]


async def test_arabic_indic_digits_are_normalised(khidma: Khidma) -> None:
    result = await khidma.citizens.register_citizen(
        await citizen(khidma, NN), key(), national_number="٠١٠٢٠٣٠٤٠٥٠", **NAMES
    )
    assert result["national_number"] == NN


async def test_a_citizen_registers_no_one_else(khidma: Khidma, store: EventStore) -> None:
    with pytest.raises(NotAllowed, match="only themselves"):
        await khidma.citizens.register_citizen(
            await citizen(khidma, NN), key(), national_number=OTHER, **NAMES
        )
    assert await event_count(store) == 0


async def test_a_citizen_whose_number_has_no_id_registers_at_a_counter(
    khidma: Khidma, store: EventStore
) -> None:
    """A token whose id khidma never gave the number cannot claim it (nor make it an id)."""
    stranger = actor_for(Role.CITIZEN)
    with pytest.raises(NotAllowed, match="only themselves"):
        await khidma.citizens.register_citizen(stranger, key(), national_number=NN, **NAMES)
    assert await event_count(store) == 0
    assert await citizen_id(khidma, NN) is None


async def test_citizen_ids_are_random_not_derived(khidma: Khidma) -> None:
    result = await register(khidma)
    given = uuid.UUID(result["citizen_id"])
    assert given.version == 4
    assert given == await citizen_id(khidma, NN)
    assert given != uuid.uuid5(OLD_NAMESPACE, NN)  # the derivation ids had until issue 7


@pytest.mark.parametrize("who", [clerk(), supervisor(), admin()], ids=lambda a: a.role.value)
async def test_staff_register_citizens_at_the_counter(khidma: Khidma, who: Any) -> None:
    result = await khidma.citizens.register_citizen(who, key(), national_number=OTHER, **NAMES)
    assert result["citizen_id"] == str(await citizen_id(khidma, OTHER))
    assert (await load(khidma, OTHER)).last_name_ar == "الأحمد"


async def test_a_national_number_registers_once(khidma: Khidma, store: EventStore) -> None:
    await register(khidma)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.register_citizen(clerk(), key(), national_number=NN, **NAMES)
    assert (refused.value.field, refused.value.message) == ("national_number", "already registered")
    assert await event_count(store) == 1


async def test_concurrent_registrations_of_one_number(khidma: Khidma, store: EventStore) -> None:
    outcomes = await asyncio.gather(
        *(
            khidma.citizens.register_citizen(clerk(), key(), national_number=NN, **NAMES)
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    registered = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(registered) == 1 and len(refused) == 7
    assert all(e.field == "national_number" for e in refused)
    assert await event_count(store) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"national_number": "0102030405"}, "national_number"),
        ({"national_number": "0102030405x"}, "national_number"),
        ({"first_name_ar": "Sami"}, "first_name_ar"),
        ({"first_name_en": "سامي"}, "first_name_en"),
        ({"last_name_en": "x" * 101}, "last_name_en"),
        ({"last_name_ar": "  "}, "last_name_ar"),
        ({"phone": "0211234567"}, "phone"),
        ({"language": "fr"}, "language"),
    ],
)
async def test_bad_registrations_name_the_field_and_write_nothing(
    khidma: Khidma, store: EventStore, changes: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"national_number": NN, **NAMES, **changes}
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.register_citizen(clerk(), key(), **args)
    assert refused.value.field == field
    assert await event_count(store) == 0
    assert await store.pool.fetchval("SELECT count(*) FROM citizen_numbers") == 0


# -- the profile ---------------------------------------------------------------------------------


async def test_a_citizen_completes_their_profile(khidma: Khidma) -> None:
    await register(khidma)
    result = await khidma.citizens.complete_profile(await citizen(khidma, NN), key(), **PROFILE)
    assert result["profile_complete"] is True
    found = await load(khidma)
    assert found.address_governorate is Governorate.DAMASCUS
    assert found.address_street == "شارع المزة ١٢"
    assert found.prefill()["birth_date"] == "1990-05-17"


async def test_a_clerk_completes_a_profile_naming_the_citizen(khidma: Khidma) -> None:
    await register(khidma)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.complete_profile(clerk(), key(), **PROFILE)
    assert refused.value.field == "national_number"
    await khidma.citizens.complete_profile(clerk(), key(), national_number=NN, **PROFILE)
    assert (await load(khidma)).is_complete


async def test_the_profile_is_completed_once(khidma: Khidma, store: EventStore) -> None:
    await register(khidma)
    await khidma.citizens.complete_profile(await citizen(khidma, NN), key(), **PROFILE)
    before = await event_count(store)
    with pytest.raises(InvalidTransition):
        await khidma.citizens.complete_profile(await citizen(khidma, NN), key(), **PROFILE)
    assert await event_count(store) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"birth_date": date(2030, 1, 1)}, "birth_date"),
        ({"birth_date": "1990-05-17"}, "birth_date"),
        ({"address_governorate": "Atlantis"}, "address.governorate"),
        ({"address_city": "x" * 101}, "address.city"),
        ({"father_name": "Mohammad"}, "father_name"),
        ({"phone": None}, "phone"),
    ],
)
async def test_bad_profiles_name_the_field_and_write_nothing(
    khidma: Khidma, store: EventStore, changes: dict[str, Any], field: str
) -> None:
    await register(khidma)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.complete_profile(
            await citizen(khidma, NN), key(), **{**PROFILE, **changes}
        )
    assert refused.value.field == field
    assert await event_count(store) == 1


async def test_updating_the_profile(khidma: Khidma, store: EventStore) -> None:
    await register(khidma)
    await khidma.citizens.complete_profile(await citizen(khidma, NN), key(), **PROFILE)
    await khidma.citizens.update_profile(
        await citizen(khidma, NN), key(), address_city="حمص", address_governorate="HMS"
    )
    found = await load(khidma)
    assert (found.address_city, found.address_governorate) == ("حمص", Governorate.HOMS)
    before = await event_count(store)
    await khidma.citizens.update_profile(await citizen(khidma, NN), key(), address_city="حمص")
    assert await event_count(store) == before  # nothing changed, nothing recorded


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "0944123456"}, "phone"),
        ({"national_number": None, "nickname": "Abu Sami"}, "nickname"),
        ({}, "changes"),
        ({"last_name_en": "الأحمد"}, "last_name_en"),
    ],
)
async def test_bad_updates_name_the_field(
    khidma: Khidma, store: EventStore, changes: dict[str, Any], field: str
) -> None:
    await register(khidma)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.update_profile(await citizen(khidma, NN), key(), **changes)
    assert refused.value.field == field
    assert await event_count(store) == 1


async def test_phone_and_language(khidma: Khidma) -> None:
    await register(khidma)
    await khidma.citizens.change_phone(await citizen(khidma, NN), key(), phone="٠٩٤٤١٢٣٤٥٦")
    await khidma.citizens.change_language(clerk(), key(), language="en", national_number=NN)
    found = await load(khidma)
    assert (found.phone, found.language) == ("+963944123456", Language.EN)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.change_phone(await citizen(khidma, NN), key(), phone="12")
    assert refused.value.field == "phone"


async def test_email_set_by_the_citizen_or_at_the_counter_and_removed(
    khidma: Khidma, store: EventStore
) -> None:
    await register(khidma)
    await khidma.citizens.change_email(await citizen(khidma, NN), key(), email="Samer@Example.SY")
    assert (await load(khidma)).email == "Samer@example.sy"
    written = await event_count(store)
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.change_email(clerk(), key(), email="samer@", national_number=NN)
    assert refused.value.field == "email"
    assert await event_count(store) == written
    await khidma.citizens.change_email(clerk(), key(), email=None, national_number=NN)
    assert (await load(khidma)).email is None


# -- scope and idempotency -----------------------------------------------------------------------


@pytest.mark.parametrize("command", CITIZEN_COMMANDS[1:])
async def test_citizens_act_only_on_themselves(
    khidma: Khidma, store: EventStore, command: str
) -> None:
    await register(khidma)
    await register(khidma, OTHER)
    before = await event_count(store)
    with pytest.raises(NotAllowed, match="own account"):
        await attempt(khidma, command, await citizen(khidma, NN), OTHER)
    assert await event_count(store) == before


async def test_an_unknown_citizen_is_not_found(khidma: Khidma) -> None:
    with pytest.raises(NotFound):
        await khidma.citizens.change_language(await citizen(khidma, NN), key(), language="en")
    with pytest.raises(NotFound):
        await khidma.citizens.change_phone(clerk(), key(), phone="0944123456", national_number=NN)


async def test_a_retry_returns_the_first_result_and_writes_nothing(
    khidma: Khidma, store: EventStore
) -> None:
    same = key()
    args: dict[str, Any] = {"national_number": NN, **NAMES}
    first = await khidma.citizens.register_citizen(await citizen(khidma, NN), same, **args)
    again = await khidma.citizens.register_citizen(await citizen(khidma, NN), same, **args)
    assert again == first
    assert await event_count(store) == 1
    # A retry of a phone change after the first one worked: the same answer, not a new event.
    phone_key = key()
    await khidma.citizens.change_phone(await citizen(khidma, NN), phone_key, phone="0944123456")
    await khidma.citizens.change_phone(await citizen(khidma, NN), phone_key, phone="0944123456")
    assert await event_count(store) == 2


async def test_a_key_is_for_one_command_of_one_actor(khidma: Khidma, store: EventStore) -> None:
    same = key()
    await khidma.citizens.register_citizen(
        await citizen(khidma, NN), same, national_number=NN, **NAMES
    )
    with pytest.raises(NotAllowed, match="another command or actor"):
        await khidma.citizens.change_language(await citizen(khidma, NN), same, language="en")
    with pytest.raises(NotAllowed, match="another command or actor"):
        await khidma.citizens.register_citizen(clerk(), same, national_number=OTHER, **NAMES)
    assert await event_count(store) == 1


async def test_a_malformed_key_is_refused(khidma: Khidma, store: EventStore) -> None:
    with pytest.raises(ValidationError) as refused:
        await khidma.citizens.register_citizen(
            await citizen(khidma, NN), "short", national_number=NN, **NAMES
        )
    assert refused.value.field == "idempotency_key"
    assert await event_count(store) == 0


# -- the role table ------------------------------------------------------------------------------


async def attempt(khidma: Khidma, command: str, who: Any, nn: str) -> dict[str, Any]:
    """Run ``command`` on the citizen ``nn``, naming them unless ``who`` is a citizen."""
    named = (
        {}
        if who.role is Role.CITIZEN and who.id == await citizen_id(khidma, nn)
        else {"national_number": nn}
    )
    c = khidma.citizens
    if command == "register_citizen":
        return await c.register_citizen(who, key(), **{"national_number": nn, **NAMES})
    if command == "complete_profile":
        return await c.complete_profile(who, key(), **PROFILE, **named)
    if command == "update_profile":
        return await c.update_profile(who, key(), address_city="حلب", **named)
    if command == "change_phone":
        return await c.change_phone(who, key(), phone="0933000000", **named)
    if command == "change_email":
        return await c.change_email(who, key(), email="samer@example.sy", **named)
    assert command == "change_language"
    return await c.change_language(who, key(), language="en", **named)


@pytest.mark.parametrize("command", CITIZEN_COMMANDS)
async def test_roles_follow_the_permission_table(
    khidma: Khidma, store: EventStore, command: str
) -> None:
    for i, role in enumerate(Role):
        nn = f"0550000000{i}"
        who = await citizen(khidma, nn) if role is Role.CITIZEN else actor_for(role)
        if command != "register_citizen":
            await khidma.citizens.register_citizen(clerk(), key(), national_number=nn, **NAMES)
        before = await event_count(store)
        if role in COMMANDS[command]:
            result = await attempt(khidma, command, who, nn)
            assert result["citizen_id"] == str(await citizen_id(khidma, nn))
            assert await event_count(store) > before
        else:
            with pytest.raises(NotAllowed, match="role may not do this"):
                await attempt(khidma, command, who, nn)
            assert await event_count(store) == before


async def test_concurrent_duplicates_of_one_key_return_the_first_result(
    khidma: Khidma, store: EventStore
) -> None:
    same = key()
    args: dict[str, Any] = {"national_number": NN, **NAMES}
    me = await citizen(khidma, NN)
    outcomes = await asyncio.gather(
        *(khidma.citizens.register_citizen(me, same, **args) for _ in range(6)),
        return_exceptions=True,
    )
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert await event_count(store) == 1
