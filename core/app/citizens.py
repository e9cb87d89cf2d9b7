"""A citizen's account: registering, the profile that prefills every request, phone, language."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

from khidma.core.domain.citizen import (
    UPDATABLE_FIELDS,
    Citizen,
    Language,
    parse_national_number,
)
from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.roles import Role
from khidma.core.privacy import CitizenNumbers, numbers_of

from .actor import Actor
from .runner import CommandRunner, NotFound, Result, Unit, as_result

Change = Callable[[Unit, Citizen], None]


class CitizenCommands:
    """Citizens act on their own account; clerks and supervisors on anyone's, at the counter."""

    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner
        self.numbers = numbers_of(runner.store)

    async def register_citizen(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        national_number: str,
        first_name_ar: str,
        first_name_en: str,
        last_name_ar: str,
        last_name_en: str,
        phone: str | None = None,
        language: Language | str = Language.AR,
    ) -> Result:
        """Open an account under the id the number's look-up gives (core/privacy/numbers.py).

        A citizen registers only their own number: the one linked to their token's id, or,
        if it has no id yet, the one their identity provider verified (the token's
        ``national_number``), which is then linked to the token's id. Staff register any number
        at the counter.
        """

        def register(unit: Unit, citizen_id: UUID) -> Citizen:
            return Citizen.register(
                national_number,
                first_name_ar,
                first_name_en,
                last_name_ar,
                last_name_en,
                citizen_id=citizen_id,
                at=unit.at,
                phone=phone,
                language=language,
            )

        async def work(unit: Unit) -> Result:
            number = parse_national_number(national_number)
            if actor.role is Role.CITIZEN:
                citizen_id = await self.numbers.find(number)
                if citizen_id is None and actor.national_number == number:
                    register(unit, actor.id)  # every field checked first: bad input links none
                    citizen_id = await self.numbers.link(number, actor.id)
                if citizen_id != actor.id:
                    raise NotAllowed("register_citizen", "citizens register only themselves")
            else:
                register(unit, uuid4())  # every field checked first: bad input links no number
                citizen_id = await self.numbers.ensure(number)
            # A concurrent registration makes the save conflict; the retry ends up here.
            if await unit.find(Citizen, citizen_id) is not None:
                raise ValidationError("national_number", "already registered")
            return _result(unit.add(register(unit, citizen_id)))

        return await self.runner.run(actor, "register_citizen", idempotency_key, work)

    async def complete_profile(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        father_name: str,
        mother_name: str,
        birth_date: object,
        birth_place: str,
        registry_place: str,
        address_governorate: str,
        address_city: str,
        address_street: str,
        phone: str | None = None,
        national_number: str | None = None,
    ) -> Result:
        """Fill in the whole profile once (``national_number`` names the citizen for staff)."""

        def change(unit: Unit, citizen: Citizen) -> None:
            citizen.complete_profile(
                father_name=father_name,
                mother_name=mother_name,
                birth_date=birth_date,
                birth_place=birth_place,
                registry_place=registry_place,
                address_governorate=address_governorate,
                address_city=address_city,
                address_street=address_street,
                phone=phone,
                at=unit.at,
            )

        return await self._on_citizen(
            actor, "complete_profile", idempotency_key, national_number, change
        )

    async def update_profile(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        national_number: str | None = None,
        **changes: object,
    ) -> Result:
        """Correct profile fields (names, parents, birth, registry place, address parts)."""

        def change(unit: Unit, citizen: Citizen) -> None:
            for name in changes:
                if name == "phone":
                    raise ValidationError("phone", "use change_phone")
                if name not in UPDATABLE_FIELDS:
                    raise ValidationError(name, "not a profile field that can be updated")
            if not any(v is not None for v in changes.values()):
                raise ValidationError("changes", "name at least one field to update")
            citizen.update_profile(at=unit.at, **changes)

        return await self._on_citizen(
            actor, "update_profile", idempotency_key, national_number, change
        )

    async def change_phone(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        phone: str,
        national_number: str | None = None,
    ) -> Result:
        def change(unit: Unit, citizen: Citizen) -> None:
            citizen.change_phone(phone, at=unit.at)

        return await self._on_citizen(
            actor, "change_phone", idempotency_key, national_number, change
        )

    async def change_email(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        email: str | None,
        national_number: str | None = None,
    ) -> Result:
        """Set (or, with None, remove) the e-mail address notices fall back to after SMS."""

        def change(unit: Unit, citizen: Citizen) -> None:
            citizen.change_email(email, at=unit.at)

        return await self._on_citizen(
            actor, "change_email", idempotency_key, national_number, change
        )

    async def change_language(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        language: Language | str,
        national_number: str | None = None,
    ) -> Result:
        def change(unit: Unit, citizen: Citizen) -> None:
            citizen.change_language(language, at=unit.at)

        return await self._on_citizen(
            actor, "change_language", idempotency_key, national_number, change
        )

    async def _on_citizen(
        self,
        actor: Actor,
        command: str,
        key: str,
        national_number: str | None,
        change: Change,
    ) -> Result:
        """Run ``change`` on the citizen the command is about, checked to be in reach."""

        async def work(unit: Unit) -> Result:
            whose = await _whose(self.numbers, actor, command, national_number)
            citizen = await unit.get(Citizen, whose, "citizen")
            change(unit, citizen)
            return _result(citizen)

        return await self.runner.run(actor, command, key, work)


async def _whose(
    numbers: CitizenNumbers, actor: Actor, command: str, national_number: str | None
) -> UUID:
    """The citizen a command acts on: the actor themself, or the one staff name."""
    if actor.role is Role.CITIZEN:
        if national_number is not None and await numbers.find(national_number) != actor.id:
            raise NotAllowed(command, "citizens act only on their own account")
        return actor.id
    if national_number is None:
        raise ValidationError("national_number", "required when acting for a citizen")
    found = await numbers.find(national_number)
    if found is None:
        raise NotFound("citizen", parse_national_number(national_number))
    return found


def _result(citizen: Citizen) -> Result:
    return as_result(
        {
            "citizen_id": citizen.id,
            "national_number": citizen.national_number,
            "profile_complete": citizen.is_complete,
        }
    )
