"""Queries on requests: by tracking number, pages of them, a citizen's own, the timeline."""

from __future__ import annotations

import strawberry

from ..permissions.rules import RoleMayRun
from . import reads
from .types import Request, RequestConnection, RequestFilter, TimelineEntry

ALLOWED = [RoleMayRun]


@strawberry.type
class RequestQueries:
    @strawberry.field(permission_classes=ALLOWED, description="A request by tracking number.")
    async def request(self, info: strawberry.Info, tracking_number: str) -> Request | None:
        row = await reads.one(info, tracking_number)
        return Request.of(row) if row is not None else None

    @strawberry.field(permission_classes=ALLOWED, description="Requests in the caller's scope.")
    async def requests(
        self,
        info: strawberry.Info,
        filter: RequestFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> RequestConnection:
        return await reads.page(info, filter, first, after)

    @strawberry.field(permission_classes=ALLOWED, description="The signed-in citizen's requests.")
    async def my_requests(
        self, info: strawberry.Info, first: int = 20, after: str | None = None
    ) -> RequestConnection:
        return await reads.page(info, None, first, after, citizen=info.context.actor.id)

    @strawberry.field(permission_classes=ALLOWED, description="A request's history.")
    async def request_timeline(
        self, info: strawberry.Info, tracking_number: str
    ) -> list[TimelineEntry] | None:
        row = await reads.one(info, tracking_number)
        if row is None:
            return None
        return [
            TimelineEntry.of(r) for r in await info.context.loaders.timeline.load(row["request_id"])
        ]
