"""What auditors read: logged events with their metadata and hashes, a request's history, and a
request's state rebuilt from its events as of a past position or time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from khidma.core.app.history import LoggedEvent as Logged
from khidma.core.app.history import RequestAsOf, plain
from khidma.projections.request_events import UnhandledEvent
from khidma.projections.words import describe

from ..common.errors import NotFound, ValidationError
from ..common.names import Name
from ..common.relay import PageInfo

# The modules of ServiceRequest's layers: their events have words (projections/words.py).
_REQUEST_TOPICS = "khidma.core.domain.request"


@strawberry.type(
    description="One event of the log: where it is, who did it, when, what, and its hashes."
)
class LoggedEvent:
    position: int = strawberry.field(description="Its place in the log: 1, 2, 3… with no gaps.")
    event_id: int
    stream_id: UUID = strawberry.field(description="The aggregate (request, citizen…) it changed.")
    version: int = strawberry.field(description="Its number within its stream, from 1.")
    topic: str = strawberry.field(description="Its class, as stored (module:Class.Event).")
    name: str = strawberry.field(description="The event's name (FeeAssessed), as eventLog filters.")
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None
    centre: str | None
    agency: str | None
    channel: str | None
    correlation_id: str | None
    causation_id: str | None
    idempotency_key: str | None
    data: JSON | None = strawberry.field(
        description="Its attributes, decoded (null if no class decodes it; personal data of a"
        " forgotten citizen reads as absent)."
    )
    content_hash: str = strawberry.field(description="SHA-256 over the stored event, hex.")
    chain_hash: str = strawberry.field(description="The log's hash chain at this position, hex.")

    @strawberry.field(
        description="A request's event in plain words, Arabic and English, as its timeline"
        " says it (null for other aggregates' events)."
    )
    async def text(self, info: strawberry.Info) -> Name | None:
        if self.data is None or not self.topic.startswith(_REQUEST_TOPICS):
            return None
        services: dict[str, tuple[str, str]] = {}
        if self.name == "Submitted":
            code = self.data.get("service_code")
            found = await info.context.loaders.service.load(code) if code else None
            if found is not None:
                services[code] = (found.name.ar, found.name.en)
        try:
            ar, en = describe(self.name, self.data, services)
        except (UnhandledEvent, KeyError):  # a newer event, or a shape the words predate
            return None
        return Name(ar=ar, en=en)

    @classmethod
    def of(cls, e: Logged) -> LoggedEvent:
        meta = e.metadata
        return cls(
            position=e.position,
            event_id=e.event_id,
            stream_id=e.stream_id,
            version=e.version,
            topic=e.topic,
            name=e.name,
            recorded_at=e.recorded_at,
            actor_id=_text(meta.get("actor_id")),
            actor_role=_text(meta.get("actor_role")),
            centre=_text(meta.get("centre")),
            agency=_text(meta.get("agency")),
            channel=_text(meta.get("channel")),
            correlation_id=_text(meta.get("correlation_id")),
            causation_id=_text(meta.get("causation_id")),
            idempotency_key=_text(meta.get("idempotency_key")),
            data=e.data,
            content_hash=e.content_hash.hex(),
            chain_hash=e.chain_hash.hex(),
        )


@strawberry.type
class LoggedEventEdge:
    cursor: str
    node: LoggedEvent


@strawberry.type(description="A page of the event log (Relay connection), oldest first.")
class EventLogConnection:
    edges: list[LoggedEventEdge]
    page_info: PageInfo


@strawberry.input(description="Narrow the event log; the fields given must all hold.")
class EventLogFilter:
    stream_id: str | None = strawberry.field(default=None, description="One stream (a UUID).")
    tracking_number: str | None = strawberry.field(
        default=None, description="One request's stream, by its tracking number."
    )
    topic: str | None = strawberry.field(
        default=None,
        description="An event's name as in `name` (PaymentRecorded), or with its aggregate"
        " (Citizen.Registered), or a whole topic (module:Class.Event).",
    )
    actor_id: str | None = strawberry.field(default=None, description="Who did it (a UUID).")
    centre: str | None = strawberry.field(default=None, description="Where: a centre's code.")
    recorded_from: datetime | None = strawberry.field(
        default=None, description="Recorded at or after this time."
    )
    recorded_to: datetime | None = strawberry.field(
        default=None, description="Recorded before this time (exclusive)."
    )


@strawberry.type(
    description="Every logged event of a request and of its dispatch record, oldest first."
)
class RequestHistory:
    tracking_number: str
    stream_id: UUID = strawberry.field(description="The request's stream.")
    events: list[LoggedEvent]


@strawberry.type(description="A request's fee: the agency's fee and the governorate's surcharge.")
class RequestFee:
    agency_fee: int
    surcharge: int
    total: int
    decision_ref: str | None
    assessed_on: date | None


@strawberry.type(description="The payment of a request's fee.")
class RequestPayment:
    payment_ref: str
    provider: str
    amount: int
    paid_at: datetime | None


@strawberry.type(description="The refund of a request's fee.")
class RequestRefund:
    refund_ref: str
    amount: int
    refunded_at: datetime | None


@strawberry.type(
    description="A request as its events up to a position or time left it, rebuilt from the"
    " log alone (never from read models or snapshots)."
)
class RequestState:
    tracking_number: str
    stream_id: UUID
    version: int = strawberry.field(description="How many of its events it was rebuilt from.")
    position: int = strawberry.field(description="The log position of the last of them.")
    recorded_at: datetime = strawberry.field(description="When the last of them was recorded.")
    last_event: str = strawberry.field(description="The name of the last of them.")
    status: str
    citizen_id: UUID
    service_code: str
    agency_code: str
    direct_access: bool
    channel: str
    delivery: str
    origin_centre_code: str | None
    processing_centre_code: str
    pickup_centre_code: str | None
    post_office: str | None
    home_address: str | None
    form: JSON | None
    fee: RequestFee | None
    payment: RequestPayment | None
    refund: RequestRefund | None
    clerk_id: UUID | None
    certified_by: UUID | None
    agency_reference: str | None
    information_requested: str | None
    rejection_reason: str | None
    document_reference: str | None
    document_at: str | None = strawberry.field(description="Where the printed document is.")
    postal_tracking: str | None
    collected_by: JSON | None
    custody: JSON = strawberry.field(description="The document's hand-offs, oldest first.")
    notes: JSON
    ready_since: date | None
    due_on: date | None
    clock_paused: bool
    submitted_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rebuilt: RequestAsOf) -> RequestState:
        r: Any = rebuilt.request
        last = rebuilt.last
        clock = r.due_clock
        return cls(
            tracking_number=r.tracking_number,
            stream_id=r.id,
            version=r.version,
            position=last.position,
            recorded_at=last.recorded_at,
            last_event=last.name,
            status=r.status.value,
            citizen_id=r.citizen_id,
            service_code=r.service_code,
            agency_code=r.agency_code,
            direct_access=r.direct_access,
            channel=r.channel.value,
            delivery=r.delivery.value,
            origin_centre_code=r.origin_centre,
            processing_centre_code=r.processing_centre,
            pickup_centre_code=r.pickup_centre,
            post_office=r.post_office,
            home_address=r.home_address,
            form=plain(r.form),
            fee=None if r.fee is None else RequestFee(**r.fee),
            payment=None if r.payment is None else RequestPayment(**r.payment),
            refund=None if r.refund is None else RequestRefund(**r.refund),
            clerk_id=r.clerk_id,
            certified_by=getattr(r, "certified_by", None),
            agency_reference=r.agency_reference,
            information_requested=r.information_requested,
            rejection_reason=r.rejection_reason,
            document_reference=r.document_reference,
            document_at=r.document_at,
            postal_tracking=r.postal_tracking,
            collected_by=plain(r.collected_by),
            custody=plain(r.custody),
            notes=plain(r.notes),
            ready_since=r.ready_since,
            due_on=r.due_on,
            clock_paused=clock is not None and clock.is_paused,
            submitted_at=r.submitted_at,
            updated_at=r.updated_at,
        )


EventLogResult = Annotated[EventLogConnection | ValidationError, strawberry.union("EventLogResult")]
RequestHistoryResult = Annotated[
    RequestHistory | ValidationError | NotFound, strawberry.union("RequestHistoryResult")
]
RequestStateResult = Annotated[
    RequestState | ValidationError | NotFound, strawberry.union("RequestStateResult")
]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
