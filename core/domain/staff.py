"""Staff (الموظفون): clerks, supervisors, auditors and admins, and their access permissions.

An access permission (سماحية) is what an agency grants a person on its system. It is a string
``<agency_code>.<action>``, e.g. ``civil_registry.issue`` or ``real_estate.query``: the agency
code as the catalog writes it, then the action, letters, digits, ``_`` and ``-`` only. A clerk
serves exactly one agency (DOMAIN.md: to build expertise), so a clerk only holds permissions
scoped to that agency; supervisors, auditors and admins may hold any. Every grant and every
revocation is its own event, so auditors see who gave or took which access, when and why.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from .centre import parse_centre_code
from .errors import InvalidTransition, NotAllowed, ValidationError
from .ids import derived_id
from .roles import STAFF_ROLES, Role
from .text import Bilingual, bounded, choice, code, moment, reference

_NAMESPACE = uuid.UUID("d41e7c2a-95b3-4f60-8c1d-3a7e6b0f9c52")
_PERMISSION = re.compile(r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$")
PERMISSION_MAX = 100
REASON_MAX = 300


class Employment(StrEnum):
    """How a person is employed; seasonal and temporary clerks leave after training."""

    PERMANENT = "permanent"
    SEASONAL = "seasonal"
    TEMPORARY = "temporary"


def parse_staff_number(value: object, field: str = "staff_number") -> str:
    """A staff number such as ``HMS-01-0042`` (upper-cased; Arabic-Indic digits accepted)."""
    return code(field, value, 32)


def parse_permission(value: object, field: str = "permission") -> str:
    """A permission ``<agency_code>.<action>``, e.g. ``civil_registry.issue``."""
    text = bounded(field, value, PERMISSION_MAX)
    if not _PERMISSION.match(text):
        raise ValidationError(field, f"{value!r} is not like civil_registry.issue")
    return text


def permission_for(agency_code: str, action: str) -> str:
    """The permission to do ``action`` on the agency's system."""
    return parse_permission(f"{agency_code}.{action}")


def _actor(field: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ValidationError(field, "expected the id of the person acting")
    return value


class Staff(Aggregate):
    """A member of staff; its id is derived from the staff number."""

    @staticmethod
    def create_id(staff_number: str) -> uuid.UUID:
        return derived_id(_NAMESPACE, staff_number)

    @staticmethod
    def id_for(staff_number: object) -> uuid.UUID:
        """The id of the staff member with this staff number (validated and normalised first)."""
        return Staff.create_id(parse_staff_number(staff_number))

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def hire(
        cls,
        staff_number: object,
        name_ar: object,
        name_en: object,
        *,
        role: Role | str,
        employment: Employment | str,
        at: datetime,
        centre_code: object = None,
        agency_code: object = None,
    ) -> Staff:
        """Hire: clerks and supervisors belong to a centre; a clerk serves one agency."""
        at = moment("at", at)
        name = Bilingual.of("name", name_ar, name_en)
        role = choice("role", Role, role)
        if role not in STAFF_ROLES:
            raise ValidationError("role", f"{role} is not a staff role")
        if centre_code is None and role in (Role.CLERK, Role.SUPERVISOR):
            raise ValidationError("centre_code", f"a {role} belongs to a centre")
        return cls(
            staff_number=parse_staff_number(staff_number),
            name_ar=name.ar,
            name_en=name.en,
            role=role,
            employment=choice("employment", Employment, employment),
            centre_code=None if centre_code is None else _centre(centre_code),
            agency_code=_agency_for(role, agency_code),
            at=at,
        )

    def transfer(self, centre_code: object, *, at: datetime) -> None:
        """Move to another centre; permissions go along (the agency grants them, not the centre)."""
        at = moment("at", at)
        centre = _centre(centre_code)
        if centre != self.centre_code:
            self._transferred(centre_code=centre, previous=self.centre_code, at=at)

    def assign_agency(self, agency_code: object, *, by: uuid.UUID, at: datetime) -> None:
        """Make a clerk serve another agency; the old agency's permissions are revoked."""
        at = moment("at", at)
        by = _actor("by", by)
        agency = _agency_for(self.role, agency_code)
        if agency == self.agency_code:
            return
        reason = f"assigned to serve {agency}"
        for permission in self.permissions:
            self._permission_revoked(permission=permission, revoked_by=by, reason=reason, at=at)
        self._agency_assigned(agency_code=agency, previous=self.agency_code, at=at)

    def grant(self, permission: object, granted_by: uuid.UUID, at: datetime) -> None:
        """Grant an access permission (سماحية); granting one already held records nothing."""
        at = moment("at", at)
        granted_by = _actor("granted_by", granted_by)
        permission = parse_permission(permission)
        if not self.active:
            raise InvalidTransition("grant a permission to", "deactivated", "reactivate first")
        if granted_by == self.id:
            raise NotAllowed(f"grant {permission}", "no one may grant permissions to themselves")
        if self.role is Role.CLERK and not permission.startswith(f"{self.agency_code}."):
            raise ValidationError(
                "permission", f"a clerk of {self.agency_code} holds only {self.agency_code}.*"
            )
        if permission not in self.permissions:
            self._permission_granted(permission=permission, granted_by=granted_by, at=at)

    def revoke(self, permission: object, revoked_by: uuid.UUID, at: datetime, reason: str) -> None:
        """Take a permission away; revoking one not held records nothing."""
        at = moment("at", at)
        revoked_by = _actor("revoked_by", revoked_by)
        permission = parse_permission(permission)
        reason = bounded("reason", reason, REASON_MAX)
        if permission in self.permissions:
            self._permission_revoked(
                permission=permission, revoked_by=revoked_by, reason=reason, at=at
            )

    def deactivate(self, *, by: uuid.UUID, at: datetime, reason: str) -> None:
        """The person leaves: every permission is revoked in the same command."""
        at = moment("at", at)
        by = _actor("by", by)
        reason = bounded("reason", reason, REASON_MAX)
        if not self.active:
            return
        for permission in self.permissions:
            self._permission_revoked(
                permission=permission, revoked_by=by, reason=f"deactivated: {reason}", at=at
            )
        self._deactivated(by=by, reason=reason, at=at)

    def reactivate(self, *, by: uuid.UUID, at: datetime) -> None:
        """The person is back; permissions must be granted again."""
        at = moment("at", at)
        by = _actor("by", by)
        if not self.active:
            self._reactivated(by=by, at=at)

    # -- queries ----------------------------------------------------------------------------

    def has(self, permission: str) -> bool:
        return self.active and permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise NotAllowed, naming ``permission``, unless this person holds it now."""
        if not self.active:
            raise NotAllowed(permission, f"{self.staff_number} is deactivated")
        if permission not in self.permissions:
            raise NotAllowed(permission, f"{self.staff_number} has not been granted {permission}")

    # -- events: they only record --------------------------------------------------------------

    @event("Hired")
    def __init__(
        self,
        *,
        staff_number: str,
        name_ar: str,
        name_en: str,
        role: Role,
        employment: Employment,
        centre_code: str | None,
        agency_code: str | None,
        at: datetime,
    ) -> None:
        self.staff_number = staff_number
        self.name_ar = name_ar
        self.name_en = name_en
        self.role = role
        self.employment = employment
        self.centre_code = centre_code
        self.agency_code = agency_code
        self.active = True
        self.permissions: tuple[str, ...] = ()
        self.hired_at = at
        self.left_at: datetime | None = None

    @event("Transferred")
    def _transferred(self, centre_code: str, previous: str | None, at: datetime) -> None:
        self.centre_code = centre_code

    @event("AgencyAssigned")
    def _agency_assigned(self, agency_code: str, previous: str | None, at: datetime) -> None:
        self.agency_code = agency_code

    @event("PermissionGranted")
    def _permission_granted(self, permission: str, granted_by: uuid.UUID, at: datetime) -> None:
        self.permissions = tuple(sorted({*self.permissions, permission}))

    @event("PermissionRevoked")
    def _permission_revoked(
        self, permission: str, revoked_by: uuid.UUID, reason: str, at: datetime
    ) -> None:
        self.permissions = tuple(p for p in self.permissions if p != permission)

    @event("Deactivated")
    def _deactivated(self, by: uuid.UUID, reason: str, at: datetime) -> None:
        self.active = False
        self.left_at = at

    @event("Reactivated")
    def _reactivated(self, by: uuid.UUID, at: datetime) -> None:
        self.active = True
        self.left_at = None


def _agency_for(role: Role, agency_code: object) -> str | None:
    """A clerk serves exactly one agency; no one else serves one."""
    if role is Role.CLERK:
        if agency_code is None:
            raise ValidationError("agency_code", "a clerk serves one agency")
        return reference("agency_code", agency_code)
    if agency_code is not None:
        raise ValidationError("agency_code", "only clerks serve an agency")
    return None


def _centre(value: object) -> str:
    return parse_centre_code(value, "centre_code")
