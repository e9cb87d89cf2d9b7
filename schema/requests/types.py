"""A citizen's request (معاملة) as the ``requests`` projection holds it, and its timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg
import strawberry

from ..catalog.types import Service
from ..centres.types import Centre
from ..common.names import Name
from ..common.relay import Node, PageInfo, to_global_id

# The projections a Request is read from: its row, and its timeline.
VIEWS = ("requests", "request_timeline")


@strawberry.type(description="One step in a request's history, in Arabic and English.")
class TimelineEntry:
    at: datetime
    event: str
    text: Name
    actor_role: str | None
    centre: str | None

    @classmethod
    def of_values(
        cls, at: datetime, event: str, ar: str, en: str, role: str | None, centre: str | None
    ) -> TimelineEntry:
        """An entry of the values read with its request (the order of ``loaders.TIMELINE``)."""
        return cls(at=at, event=event, text=Name(ar=ar, en=en), actor_role=role, centre=centre)

    @classmethod
    def of(cls, row: Any) -> TimelineEntry:
        return cls(
            at=row["at"],
            event=row["event"],
            text=Name(ar=row["text_ar"], en=row["text_en"]),
            actor_role=row["actor_role"],
            centre=row["centre"],
        )


@strawberry.type(description="A request for a document, tracked by its tracking number.")
class Request(Node):
    tracking_number: str
    status: str
    service_code: str
    agency_code: str
    direct_access: bool
    channel: str
    delivery: str
    origin_centre_code: str | None
    processing_centre_code: str
    pickup_centre_code: str | None
    fee_total: int | None
    paid_amount: int | None
    payment_provider: str | None
    refunded_amount: int | None
    agency_reference: str | None
    information_requested: str | None
    rejection_reason: str | None
    cancel_reason: str | None
    document_reference: str | None
    postal_tracking: str | None
    collected_by: str | None
    due_on: date | None
    clock_paused: bool
    ready_on: date | None
    submitted_at: datetime
    updated_at: datetime | None
    closed_at: datetime | None
    _request_id: strawberry.Private[Any] = None
    _timeline: strawberry.Private[list[Any] | None] = None  # entries read with the request

    @strawberry.field
    async def service(self, info: strawberry.Info) -> Service | None:
        found = await info.context.loaders.service.load(self.service_code)
        return Service.of(found) if found is not None else None

    @strawberry.field
    async def processing_centre(self, info: strawberry.Info) -> Centre | None:
        found = await info.context.loaders.centre.load(self.processing_centre_code)
        return Centre.of(found) if found is not None else None

    @strawberry.field
    async def pickup_centre(self, info: strawberry.Info) -> Centre | None:
        if self.pickup_centre_code is None:
            return None
        found = await info.context.loaders.centre.load(self.pickup_centre_code)
        return Centre.of(found) if found is not None else None

    @strawberry.field(description="What happened to the request, oldest first.")
    async def timeline(self, info: strawberry.Info) -> list[TimelineEntry]:
        if self._timeline is not None:
            return [TimelineEntry.of_values(*values) for values in self._timeline]
        rows = await info.context.loaders.timeline.load(self._request_id)
        return [TimelineEntry.of(r) for r in rows]

    @classmethod
    def of(cls, row: asyncpg.Record, timeline: list[Any] | None = None) -> Request:
        """The request of a row of ``requests`` (with its timeline's values, if read with it)."""
        return cls(
            id=to_global_id("Request", row["tracking_number"]),
            tracking_number=row["tracking_number"],
            status=row["status"],
            service_code=row["service_code"],
            agency_code=row["agency_code"],
            direct_access=row["direct_access"],
            channel=row["channel"],
            delivery=row["delivery"],
            origin_centre_code=row["origin_centre"],
            processing_centre_code=row["processing_centre"],
            pickup_centre_code=row["pickup_centre"],
            fee_total=row["fee_total"],
            paid_amount=row["paid_amount"],
            payment_provider=row["payment_provider"],
            refunded_amount=row["refunded_amount"],
            agency_reference=row["agency_reference"],
            information_requested=row["information_requested"],
            rejection_reason=row["rejection_reason"],
            cancel_reason=row["cancel_reason"],
            document_reference=row["document_reference"],
            postal_tracking=row["postal_tracking"],
            collected_by=row["collected_by"],
            due_on=row["due_on"],
            clock_paused=row["clock_paused"],
            ready_on=row["ready_on"],
            submitted_at=row["submitted_at"],
            updated_at=row["updated_at"],
            closed_at=row["closed_at"],
            _request_id=row["request_id"],
            _timeline=timeline,
        )


@strawberry.type
class RequestEdge:
    cursor: str
    node: Request


@strawberry.type(description="A page of requests (Relay connection), newest first.")
class RequestConnection:
    edges: list[RequestEdge]
    page_info: PageInfo


@strawberry.input(description="Narrow a list of requests; every field is optional.")
class RequestFilter:
    status: str | None = None
    service_code: str | None = None
    agency_code: str | None = None
    centre: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
