"""The citizen profile that prefills every request (completed once)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import strawberry

from khidma.core.domain.citizen import Citizen as DomainCitizen

from ..common.names import Name


@strawberry.type(description="A citizen's account and profile.")
class Citizen:
    citizen_id: UUID = strawberry.field(
        description="khidma's id of the citizen (random, not derived from the national number):"
        " an identity provider carries it as the `sub` of the citizen's tokens."
    )
    national_number: str
    first_name: Name
    last_name: Name
    phone: str | None
    email: str | None
    language: str
    profile_complete: bool
    father_name: str | None
    mother_name: str | None
    birth_date: date | None
    birth_place: str | None
    registry_place: str | None
    address_governorate: str | None
    address_city: str | None
    address_street: str | None

    @classmethod
    def of(cls, c: DomainCitizen) -> Citizen:
        return cls(
            citizen_id=c.id,
            national_number=c.national_number,
            first_name=Name(ar=c.first_name_ar, en=c.first_name_en),
            last_name=Name(ar=c.last_name_ar, en=c.last_name_en),
            phone=c.phone,
            email=c.email,
            language=getattr(c.language, "value", str(c.language)),
            profile_complete=c.is_complete,
            father_name=getattr(c, "father_name", None),
            mother_name=getattr(c, "mother_name", None),
            birth_date=getattr(c, "birth_date", None),
            birth_place=getattr(c, "birth_place", None),
            registry_place=getattr(c, "registry_place", None),
            address_governorate=_text(getattr(c, "address_governorate", None)),
            address_city=getattr(c, "address_city", None),
            address_street=getattr(c, "address_street", None),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(getattr(value, "value", value))
