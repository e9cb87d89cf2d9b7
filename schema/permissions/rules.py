"""Permission rules for strawberry fields: one rule, backed by the role × operation table."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from .table import ANONYMOUS, OPERATIONS


class Forbidden(PermissionError):
    """The GraphQL error of a refused query or subscription (``extensions.code``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": "FORBIDDEN"}


class RoleMayRun(BasePermission):
    """Allows the field if the caller's role has a ✓ for it in the table."""

    message = "not allowed"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 (strawberry reads the class attribute)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        operation = f"{info._raw_info.parent_type.name}.{info.field_name}"
        actor = info.context.actor
        role = actor.role.value if actor is not None else ANONYMOUS
        allowed = role in OPERATIONS[operation]
        if not allowed:
            who = "signing in" if actor is None else f"the {role} role"
            self.message = f"{operation} is not open to {who}"
        return allowed
