"""Staff: hiring, access permissions (سماحيات) granted and revoked, leaving."""

from __future__ import annotations

from collections.abc import Callable

from khidma.core.domain.errors import NotAllowed, ValidationError
from khidma.core.domain.roles import Role
from khidma.core.domain.staff import Employment, Staff, parse_staff_number

from . import lookups
from .actor import Actor
from .runner import CommandRunner, Result, Unit, as_result

Change = Callable[[Unit, Staff], None]


class StaffCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def hire_staff(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        staff_number: str,
        name_ar: str,
        name_en: str,
        role: Role | str,
        employment: Employment | str,
        centre_code: str | None = None,
        agency_code: str | None = None,
    ) -> Result:
        """Hire into a registered centre; a clerk serves one agency. The id is the token's."""

        async def work(unit: Unit) -> Result:
            number = parse_staff_number(staff_number)
            if await unit.find(Staff, Staff.create_id(number)) is not None:
                raise ValidationError("staff_number", f"{number} is already hired")
            staff = Staff.hire(
                number,
                name_ar,
                name_en,
                role=role,
                employment=employment,
                centre_code=centre_code,
                agency_code=agency_code,
                at=unit.at,
            )
            if staff.centre_code is not None:
                await lookups.centre(unit, staff.centre_code, "centre_code")
            return _staff(unit.add(staff))

        return await self.runner.run(actor, "hire_staff", idempotency_key, work)

    async def grant_permission(
        self, actor: Actor, idempotency_key: str, *, staff_number: str, permission: str
    ) -> Result:
        """Grant an agency's access permission, e.g. ``civil_registry.issue``."""

        def change(unit: Unit, staff: Staff) -> None:
            staff.grant(permission, granted_by=actor.id, at=unit.at)

        return await self._on_staff(
            actor, "grant_permission", idempotency_key, staff_number, change
        )

    async def revoke_permission(
        self,
        actor: Actor,
        idempotency_key: str,
        *,
        staff_number: str,
        permission: str,
        reason: str,
    ) -> Result:
        def change(unit: Unit, staff: Staff) -> None:
            staff.revoke(permission, revoked_by=actor.id, at=unit.at, reason=reason)

        return await self._on_staff(
            actor, "revoke_permission", idempotency_key, staff_number, change
        )

    async def deactivate_staff(
        self, actor: Actor, idempotency_key: str, *, staff_number: str, reason: str
    ) -> Result:
        """The person leaves; every permission they held is revoked in the same command."""

        def change(unit: Unit, staff: Staff) -> None:
            staff.deactivate(by=actor.id, at=unit.at, reason=reason)

        return await self._on_staff(
            actor, "deactivate_staff", idempotency_key, staff_number, change
        )

    async def _on_staff(
        self, actor: Actor, command: str, key: str, staff_number: str, change: Change
    ) -> Result:
        async def work(unit: Unit) -> Result:
            staff = await unit.get(Staff, Staff.id_for(staff_number), "staff")
            _check_reach(actor, command, staff)
            change(unit, staff)
            return _staff(staff)

        return await self.runner.run(actor, command, key, work)


def _check_reach(actor: Actor, command: str, staff: Staff) -> None:
    """Supervisors manage the staff of their own centre; admins anyone's."""
    if actor.role is Role.SUPERVISOR and (
        actor.centre is None or staff.centre_code != actor.centre
    ):
        raise NotAllowed(
            command, f"{staff.staff_number} works at {staff.centre_code or 'no centre'}"
        )


def _staff(staff: Staff) -> Result:
    return as_result(
        {
            "staff_id": staff.id,
            "staff_number": staff.staff_number,
            "role": staff.role.value,
            "centre_code": staff.centre_code,
            "agency_code": staff.agency_code,
            "active": staff.active,
            "permissions": list(staff.permissions),
        }
    )
