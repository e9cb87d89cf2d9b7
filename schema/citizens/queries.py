"""``me``: the signed-in citizen's profile."""

from __future__ import annotations

import strawberry

from ..permissions.rules import RoleMayRun
from .types import Citizen


@strawberry.type
class CitizenQueries:
    @strawberry.field(permission_classes=[RoleMayRun], description="The signed-in citizen.")
    async def me(self, info: strawberry.Info) -> Citizen | None:
        found = await info.context.services.directory.citizen(info.context.actor.id)
        return Citizen.of(found) if found is not None else None
