"""ServiceRequest (معاملة): a citizen's request for a document, from submission to hand-over.

The class is built in layers, one module each: RequestBase (submission, clock, notes),
RequestAtAgency (fee, payment, the agency's answer) and here the printed document's journey.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from .catalog import Collector, Delivery
from .errors import InvalidTransition, NotAllowed, ValidationError
from .lifecycle import FIRST_DEGREE, Status
from .request_agency import RequestAtAgency
from .text import bounded, choice, digits


class ServiceRequest(RequestAtAgency):
    """The rules of a request; commands validate, ``@event`` methods only record."""

    # -- the document ----------------------------------------------------------------------

    def _hand_off(self, from_: str, to: str, by: UUID | None, at: datetime) -> None:
        self.custody.append({"from": from_, "to": to, "by": by, "at": at})
        self.document_at = to

    def certify(self, *, clerk_id: UUID, centre: str, at: datetime) -> None:
        """Stamped with the live stamps (الأختام الحية) at a centre."""
        self._require("certify")
        self._certified(clerk_id=clerk_id, centre=bounded("centre", centre, 20), at=at)

    @event("Certified")
    def _certified(self, *, clerk_id: UUID, centre: str, at: datetime) -> None:
        self.status = Status.CERTIFIED
        if self.document_at != f"centre:{centre}":
            self._hand_off(self.document_at or "", f"centre:{centre}", clerk_id, at)
        self.updated_at = at

    def mark_ready(self, *, clerk_id: UUID, on: date, at: datetime) -> None:
        """At the pickup centre and ready; the citizen is told."""
        self._require("mark ready")
        if self.delivery is not Delivery.PICKUP:
            raise InvalidTransition("mark ready", self.status.value, "delivery is by post")
        if self.document_at != f"centre:{self.pickup_centre}":
            raise InvalidTransition(
                "mark ready",
                self.status.value,
                f"the document is at {self.document_at}, not at pickup centre {self.pickup_centre}",
            )
        self._ready(clerk_id=clerk_id, on=on, at=at)

    @event("ReadyForPickup")
    def _ready(self, *, clerk_id: UUID, on: date, at: datetime) -> None:
        self.status = Status.READY_FOR_PICKUP
        self.ready_since = on
        self.updated_at = at

    def change_pickup_centre(self, *, centre: str, by: UUID | None, at: datetime) -> None:
        """The citizen chose another centre; a printed document is transferred there."""
        self._require("change the pickup centre of")
        centre = bounded("centre", centre, 20)
        if self.delivery is not Delivery.PICKUP:
            raise InvalidTransition(
                "change the pickup centre of", self.status.value, "delivery is by post"
            )
        if centre == self.pickup_centre:
            raise ValidationError("centre", f"already to be collected at {centre}")
        moves = self.status in {Status.CERTIFIED, Status.READY_FOR_PICKUP}
        self._pickup_changed(centre=centre, transfer=moves, by=by, at=at)

    @event("PickupCentreChanged")
    def _pickup_changed(
        self, *, centre: str, transfer: bool, by: UUID | None, at: datetime
    ) -> None:
        self.pickup_centre = centre
        if transfer:
            self._hand_off(self.document_at or "", f"centre:{centre}", by, at)
            self.status = Status.CERTIFIED  # ready again once it arrives
        self.updated_at = at

    def hand_over(
        self,
        *,
        recipient: Collector | str,
        recipient_citizen_id: UUID,
        recipient_national_number: str,
        relation: str | None = None,
        proxy_document: str | None = None,
        clerk_id: UUID,
        centre: str,
        at: datetime,
    ) -> None:
        """Hand the document over, if this recipient may collect it."""
        self._require("hand over")
        kind = choice("recipient", Collector, recipient)
        national_number = digits("recipient_national_number", recipient_national_number, 11)
        if centre != self.pickup_centre:
            raise NotAllowed("hand over", f"the document is collected at {self.pickup_centre}")
        if kind not in self.collectors:
            allowed = ", ".join(c.value for c in self.collectors)
            raise NotAllowed("hand over", f"this service is collected only by: {allowed}")
        is_citizen = recipient_citizen_id == self.citizen_id
        if kind is Collector.SELF and not is_citizen:
            raise NotAllowed("hand over", "the recipient is not the citizen who filed the request")
        if kind is not Collector.SELF and is_citizen:
            raise ValidationError("recipient", "the citizen themself collects as 'self'")
        if kind is Collector.FIRST_DEGREE_RELATIVE and relation not in FIRST_DEGREE:
            raise NotAllowed(
                "hand over",
                f"{relation!r} is not a first-degree relative ({', '.join(sorted(FIRST_DEGREE))})",
            )
        if kind is Collector.PROXY:
            proxy_document = bounded("proxy_document", proxy_document, 50)
        self._collected(
            recipient=kind,
            recipient_national_number=national_number,
            relation=relation if kind is Collector.FIRST_DEGREE_RELATIVE else None,
            proxy_document=proxy_document if kind is Collector.PROXY else None,
            clerk_id=clerk_id,
            centre=centre,
            at=at,
        )

    @event("Collected")
    def _collected(
        self,
        *,
        recipient: Collector,
        recipient_national_number: str,
        relation: str | None,
        proxy_document: str | None,
        clerk_id: UUID,
        centre: str,
        at: datetime,
    ) -> None:
        self.collected_by = {
            "recipient": recipient,
            "national_number": recipient_national_number,
            "relation": relation,
            "proxy_document": proxy_document,
        }
        self._hand_off(f"centre:{centre}", f"citizen:{recipient.value}", clerk_id, at)
        self.status = Status.COLLECTED
        self.updated_at = at

    def dispatch_by_post(self, *, postal_tracking: str, clerk_id: UUID, at: datetime) -> None:
        self._require("dispatch by post")
        if self.delivery is Delivery.PICKUP:
            raise InvalidTransition("dispatch by post", self.status.value, "to be collected")
        self._dispatched(
            postal_tracking=bounded("postal_tracking", postal_tracking, 50),
            clerk_id=clerk_id,
            at=at,
        )

    @event("Dispatched")
    def _dispatched(self, *, postal_tracking: str, clerk_id: UUID, at: datetime) -> None:
        self.postal_tracking = postal_tracking
        self._hand_off(self.document_at or "", "post", clerk_id, at)
        self.status = Status.DISPATCHED
        self.updated_at = at

    def record_delivery(self, *, at: datetime) -> None:
        self._require("record delivery of")
        self._delivered(at=at)

    @event("Delivered")
    def _delivered(self, *, at: datetime) -> None:
        self._hand_off("post", f"citizen:{self.delivery.value}", None, at)
        self.status = Status.DELIVERED
        self.updated_at = at

    def expire(self, *, on: date, at: datetime) -> None:
        """Never collected within the service's validity."""
        self._require("expire")
        assert self.ready_since is not None
        if (on - self.ready_since).days < self.validity_days:
            raise InvalidTransition(
                "expire",
                self.status.value,
                f"ready since {self.ready_since}, valid {self.validity_days} days",
            )
        self._expired(at=at)

    @event("Expired")
    def _expired(self, *, at: datetime) -> None:
        self.status = Status.EXPIRED
        self.updated_at = at
