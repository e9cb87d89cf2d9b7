"""The first layer of a request (معاملة): submission, guards, the due-date clock, notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import resolve_topic

from .calendar import ClockRule, DueClock
from .catalog import Collector, Delivery
from .centre import parse_centre_code
from .errors import InvalidTransition, ValidationError
from .lifecycle import ALLOWED_FROM, Channel, Status
from .text import bounded, choice, moment
from .tracking import parse_tracking_number, request_id


class RequestBase(Aggregate):
    """What every request holds from submission on; see ServiceRequest for the whole."""

    # -- submission ------------------------------------------------------------------------

    @classmethod
    def submit(
        cls,
        *,
        tracking_number: str,
        citizen_id: UUID,
        service_code: str,
        agency_code: str,
        direct_access: bool,
        channel: Channel | str,
        origin_centre: str | None,
        form: Mapping[str, Any],
        delivery: Delivery | str,
        pickup_centre: str | None = None,
        post_office: str | None = None,
        home_address: str | None = None,
        processing_centre: str | None = None,
        collectors: Sequence[Collector | str],
        turnaround_days: int,
        clock_rule: ClockRule | str,
        validity_days: int,
        at: datetime,
    ) -> Self:
        """File a request; ``form`` must already be validated against the service's schema.

        ``processing_centre`` is the centre that receives and certifies the document: the
        counter's centre, else the pickup centre, else (portal or app, by post) as given.
        """
        tracking_number = parse_tracking_number(tracking_number)
        at = moment("at", at)
        channel = choice("channel", Channel, channel)
        delivery = choice("delivery", Delivery, delivery)
        origin_centre = _centre("origin_centre", origin_centre)
        pickup_centre = _centre("pickup_centre", pickup_centre)
        post_office = bounded("post_office", post_office, 200, required=False) or None
        home_address = bounded("home_address", home_address, 300, required=False) or None
        if channel is Channel.COUNTER and not origin_centre:
            raise ValidationError("origin_centre", "required for requests filed at a counter")
        if delivery is Delivery.PICKUP and not pickup_centre:
            raise ValidationError("pickup_centre", "required for pickup at a centre")
        if delivery is Delivery.POST_OFFICE and not post_office:
            raise ValidationError("post_office", "required for delivery to a post office")
        if delivery is Delivery.HOME and not home_address:
            raise ValidationError("home_address", "required for delivery to the home")
        given = _centre("processing_centre", processing_centre)
        processing = origin_centre or pickup_centre or given
        if not processing:
            raise ValidationError(
                "processing_centre", "required for requests by post from the portal or the app"
            )
        if not isinstance(form, Mapping):
            raise ValidationError("form", "expected the form's fields")
        kinds = tuple(sorted({choice("collectors", Collector, c) for c in collectors}))
        if not kinds:
            raise ValidationError("collectors", "at least one kind of collector")
        for name, value in (("turnaround_days", turnaround_days), ("validity_days", validity_days)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValidationError(name, "expected a whole number of days ≥ 0")
        # The id given, so eventsourcing need not match the arguments to create_id.
        return cls._create(
            cls.Submitted,
            id=request_id(tracking_number),
            tracking_number=tracking_number,
            citizen_id=citizen_id,
            service_code=bounded("service_code", service_code, 100),
            agency_code=bounded("agency_code", agency_code, 100),
            direct_access=bool(direct_access),
            channel=channel,
            origin_centre=origin_centre,
            processing_centre=processing,
            form=dict(form),
            delivery=delivery,
            pickup_centre=pickup_centre,
            post_office=post_office,
            home_address=home_address,
            collectors=kinds,
            turnaround_days=turnaround_days,
            clock_rule=choice("clock_rule", ClockRule, clock_rule),
            validity_days=validity_days,
            at=at,
        )

    @staticmethod
    def create_id(tracking_number: str) -> UUID:
        """A request's id follows from its tracking number: one number, one request."""
        return request_id(tracking_number)

    class Submitted(Aggregate.Created):
        """Filed: what the request holds from the start (its created event)."""

        tracking_number: str
        citizen_id: UUID
        service_code: str
        agency_code: str
        direct_access: bool
        channel: Channel
        origin_centre: str | None
        processing_centre: str
        form: dict[str, Any]
        delivery: Delivery
        pickup_centre: str | None
        post_office: str | None
        home_address: str | None
        collectors: tuple[Collector, ...]
        turnaround_days: int
        clock_rule: ClockRule
        validity_days: int
        at: datetime

        def mutate(self, aggregate: Any) -> Any:
            # eventsourcing's generic mutate matches the event's attributes to the aggregate's
            # __init__ by name; every request filed or loaded starts here, so it is done plainly.
            request_class = resolve_topic(self.originator_topic)
            request = request_class.__new__(request_class)
            request.__base_init__(self.originator_id, self.originator_version, self.timestamp)
            request._filed(self)
            return request

    def _filed(self, e: RequestBase.Submitted) -> None:
        """The state of a request just filed."""
        self.tracking_number = e.tracking_number
        self.citizen_id = e.citizen_id
        self.service_code = e.service_code
        self.agency_code = e.agency_code
        self.direct_access = e.direct_access
        self.channel = e.channel
        self.origin_centre = e.origin_centre
        self.processing_centre = e.processing_centre
        self.form = e.form
        self.delivery = e.delivery
        self.pickup_centre = e.pickup_centre
        self.post_office = e.post_office
        self.home_address = e.home_address
        self.collectors = tuple(e.collectors)
        self.turnaround_days = e.turnaround_days
        self.clock_rule = e.clock_rule
        self.validity_days = e.validity_days
        self.submitted_at = e.at
        self.status = Status.SUBMITTED
        self.fee: dict[str, Any] | None = None
        self.payment: dict[str, Any] | None = None
        self.refund: dict[str, Any] | None = None
        self.clerk_id: UUID | None = None
        self.agency_reference: str | None = None
        self.information_requested: str | None = None
        self.rejection_reason: str | None = None
        self.document_reference: str | None = None
        self.postal_tracking: str | None = None
        self.collected_by: dict[str, Any] | None = None
        self.notes: list[dict[str, Any]] = []
        self.custody: list[dict[str, Any]] = []
        self.document_at: str | None = None
        self.ready_since: date | None = None
        self.clock: dict[str, Any] | None = None
        self.updated_at = e.at

    # -- guards ----------------------------------------------------------------------------

    def _require(self, command: str, at: datetime) -> datetime:
        """Refuse ``command`` in the current state; return ``at`` checked."""
        if self.status not in ALLOWED_FROM[command]:
            raise InvalidTransition(command, self.status.value)
        return moment("at", at)

    @property
    def is_paid(self) -> bool:
        return self.payment is not None

    @property
    def certifying_centre(self) -> str:
        """Where the issued document goes to be stamped: the pickup centre, if collected."""
        if self.delivery is Delivery.PICKUP and self.pickup_centre:
            return self.pickup_centre
        return self.processing_centre

    @property
    def due_clock(self) -> DueClock | None:
        """The turnaround clock, once the request waits on the centre or the agency."""
        return None if self.clock is None else DueClock.from_dict(self.clock)

    @property
    def due_on(self) -> date | None:
        return None if self.clock is None else self.due_clock.due_on  # type: ignore[union-attr]

    # -- the rest --------------------------------------------------------------------------

    def cancel(self, *, reason: str, by: UUID | None, at: datetime) -> None:
        """Withdrawn before it reached the agency; a paid fee is then refunded."""
        at = self._require("cancel", at)
        self._cancelled(reason=bounded("reason", reason, 500), by=by, at=at)

    @event("Cancelled")
    def _cancelled(self, *, reason: str, by: UUID | None, at: datetime) -> None:
        self.status = Status.CANCELLED
        self.updated_at = at

    def assign_clerk(self, *, clerk_id: UUID, at: datetime) -> None:
        at = self._require("assign a clerk to", at)
        if clerk_id == self.clerk_id:
            raise ValidationError("clerk_id", "already assigned")
        self._clerk_assigned(clerk_id=clerk_id, at=at)

    @event("ClerkAssigned")
    def _clerk_assigned(self, *, clerk_id: UUID, at: datetime) -> None:
        self.clerk_id = clerk_id
        self.updated_at = at

    def add_note(self, *, text: str, by: UUID, at: datetime) -> None:
        at = self._require("add a note to", at)
        self._noted(text=bounded("text", text, 2000), by=by, at=at)

    @event("NoteAdded")
    def _noted(self, *, text: str, by: UUID, at: datetime) -> None:
        self.notes.append({"text": text, "by": by, "at": at})
        self.updated_at = at


def _centre(field: str, value: str | None) -> str | None:
    """A centre code as the centres write it (``hms-٠١`` is ``HMS-01``), or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_centre_code(value, field)
