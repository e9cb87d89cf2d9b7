"""Queries on requests: by tracking number, pages of them, a citizen's own, the timeline."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from ..permissions.rules import RoleMayRun
from . import reads
from .types import Request, RequestConnection, RequestFilter, TimelineEntry

ALLOWED = [RoleMayRun]


def asks_for(info: strawberry.Info, name: str) -> bool:
    """Whether the query selects ``name`` on this field's result (fragments included)."""
    raw = info._raw_info
    return any(_selects(node.selection_set, name, raw.fragments) for node in raw.field_nodes)


def _selects(selection_set: SelectionSetNode | None, name: str, fragments: dict[str, Any]) -> bool:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                return True
        elif isinstance(selection, InlineFragmentNode):
            if _selects(selection.selection_set, name, fragments):
                return True
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None and _selects(fragment.selection_set, name, fragments):
                return True
    return False


@strawberry.type
class RequestQueries:
    @strawberry.field(permission_classes=ALLOWED, description="A request by tracking number.")
    async def request(self, info: strawberry.Info, tracking_number: str) -> Request | None:
        if asks_for(info, "timeline"):
            found = await reads.tracked(info, tracking_number)
            return Request.of(*found) if found is not None else None
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
