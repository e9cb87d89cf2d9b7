"""The citizen's account: register, complete and correct the profile, phone, language.

Citizens act on themselves; clerks and supervisors at the counter name the citizen by
``nationalNumber`` (Arabic-Indic digits are accepted).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import strawberry

from khidma.core.app import Actor

from ..common.commands import run
from ..common.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from .types import Citizen

CitizenResult = Annotated[
    Citizen | ValidationError | InvalidTransition | NotAllowed | NotFound,
    strawberry.union("CitizenResult"),
]


async def _answer(info: strawberry.Info, result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    if not result.get("national_number"):  # a retry's result, scrubbed: the citizen was forgotten
        key = str(result.get("citizen_id"))
        return NotFound(what="citizen", key=key, message="citizen not found (forgotten)")
    found = await info.context.services.directory.citizen(UUID(result["citizen_id"]))
    return (
        Citizen.of(found)
        if found is not None
        else NotFound(what="citizen", key=result["national_number"], message="citizen not found")
    )


def _citizens(info: strawberry.Info) -> Any:
    return info.context.khidma.citizens


@strawberry.type
class CitizenMutations:
    @strawberry.mutation(description="Open an account (a citizen only for themself).")
    async def register_citizen(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        national_number: str,
        first_name_ar: str,
        first_name_en: str,
        last_name_ar: str,
        last_name_en: str,
        phone: str | None = None,
        language: str = "ar",
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _citizens(info).register_citizen(
                actor, idempotency_key, national_number=national_number,
                first_name_ar=first_name_ar, first_name_en=first_name_en,
                last_name_ar=last_name_ar, last_name_en=last_name_en, phone=phone,
                language=language,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Fill in the whole profile once.")
    async def complete_profile(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        father_name: str,
        mother_name: str,
        birth_date: date,
        birth_place: str,
        registry_place: str,
        address_governorate: str,
        address_city: str,
        address_street: str,
        phone: str | None = None,
        national_number: str | None = None,
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _citizens(info).complete_profile(
                actor, idempotency_key, father_name=father_name, mother_name=mother_name,
                birth_date=birth_date, birth_place=birth_place, registry_place=registry_place,
                address_governorate=address_governorate, address_city=address_city,
                address_street=address_street, phone=phone, national_number=national_number,
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Correct profile fields (only those given change).")
    async def update_profile(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        changes: strawberry.scalars.JSON,  # type: ignore[valid-type]
        national_number: str | None = None,
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            from khidma.core.domain.errors import ValidationError as Invalid

            if not isinstance(changes, dict):
                raise Invalid("changes", "expected an object of field: value")
            return await _citizens(info).update_profile(
                actor, idempotency_key, national_number=national_number, **changes
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def change_phone(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        phone: str,
        national_number: str | None = None,
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _citizens(info).change_phone(
                actor, idempotency_key, phone=phone, national_number=national_number
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Set the e-mail notices fall back to (none: remove it).")
    async def change_email(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        email: str | None = None,
        national_number: str | None = None,
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _citizens(info).change_email(
                actor, idempotency_key, email=email, national_number=national_number
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def change_language(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        language: str,
        national_number: str | None = None,
    ) -> CitizenResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _citizens(info).change_language(
                actor, idempotency_key, language=language, national_number=national_number
            )

        return await _answer(info, await run(info, call))
