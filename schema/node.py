"""``node(id)``: any object with a global id, fetched again (Relay)."""

from __future__ import annotations

import strawberry

from .catalog.types import Service
from .centres.types import Centre
from .common.relay import Node, from_global_id
from .permissions.rules import RoleMayRun
from .requests import reads
from .requests.types import Request


@strawberry.type
class NodeQueries:
    @strawberry.field(permission_classes=[RoleMayRun], description="An object by global id.")
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        found = from_global_id(id)
        if found is None:
            return None
        kind, key = found
        loaders = info.context.loaders
        if kind == "Request":
            row = await reads.one(info, key)
            return Request.of(row) if row is not None else None
        if kind == "Service":
            service = await loaders.service.load(key)
            return Service.of(service) if service is not None else None
        if kind == "Centre":
            centre = await loaders.centre.load(key)
            return Centre.of(centre) if centre is not None else None
        return None
