"""The catalog, public: what can be requested, for how much, how fast, collected by whom."""

from __future__ import annotations

import strawberry

from ..permissions.rules import RoleMayRun
from .types import Service


@strawberry.type
class CatalogQueries:
    @strawberry.field(permission_classes=[RoleMayRun], description="Services offered.")
    async def services(
        self, info: strawberry.Info, agency: str | None = None, include_withdrawn: bool = False
    ) -> list[Service]:
        catalog = await info.context.services.directory.catalog()
        if catalog is None:
            return []
        return [
            Service.of(s, catalog)
            for s in sorted(catalog.services.values(), key=lambda s: s.code)
            if (include_withdrawn or not s.withdrawn) and (agency is None or s.agency == agency)
        ]
