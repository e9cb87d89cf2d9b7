"""Centres, public: status (power rationing), opening hours, services, the queue board."""

from __future__ import annotations

import strawberry

from ..permissions.rules import RoleMayRun
from .types import Centre


@strawberry.type
class CentreQueries:
    @strawberry.field(permission_classes=[RoleMayRun], description="Every centre, by code.")
    async def centres(self, info: strawberry.Info, governorate: str | None = None) -> list[Centre]:
        centres = await info.context.services.directory.centres()
        wanted = governorate.upper() if governorate else None
        return [Centre.of(c) for c in centres if wanted is None or c.governorate.value == wanted]
