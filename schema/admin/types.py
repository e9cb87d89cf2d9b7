"""What administration mutations answer: the service, centre or staff member after them."""

from __future__ import annotations

import strawberry

from khidma.core.domain.staff import Staff

from ..catalog.types import Service
from ..centres.types import Centre
from ..common.names import Name


@strawberry.type(description="A member of staff and the agency permissions (سماحيات) held.")
class StaffMember:
    staff_number: str
    name: Name
    role: str
    centre_code: str | None
    agency_code: str | None
    active: bool
    permissions: list[str]

    @classmethod
    def of(cls, s: Staff) -> StaffMember:
        return cls(
            staff_number=s.staff_number,
            name=Name(ar=s.name_ar, en=s.name_en),
            role=s.role.value,
            centre_code=s.centre_code,
            agency_code=s.agency_code,
            active=s.active,
            permissions=list(s.permissions),
        )


@strawberry.type(description="The result of an administration command.")
class AdminPayload:
    service: Service | None = None
    centre: Centre | None = None
    staff: StaffMember | None = None
    result: strawberry.scalars.JSON | None = None  # type: ignore[valid-type]
