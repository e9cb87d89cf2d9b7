"""ServiceRequest (معاملة): a citizen's request for a document, from submission to hand-over.

The class is built in layers, one module each: RequestBase (submission, clock, notes),
RequestAtAgency (fee, payment, the agency's answer) and here the printed document's journey.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from .catalog import Collector, Delivery
from .centre import parse_centre_code
from .errors import InvalidTransition, NotAllowed, ValidationError
from .lifecycle import Relation, Status
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
        at = self._require("certify", at)
        centre = parse_centre_code(centre, "centre")
        if self.document_at != f"centre:{centre}":
            raise NotAllowed("certify", f"the document is at {self.document_at}, not at {centre}")
        self._certified(clerk_id=clerk_id, centre=centre, at=at)

    @event("Certified")
    def _certified(self, *, clerk_id: UUID, centre: str, at: datetime) -> None:
        self.status = Status.CERTIFIED
        self.certified_by = clerk_id
        self.updated_at = at

    def mark_ready(self, *, clerk_id: UUID, on: date, at: datetime) -> None:
        """At the pickup centre and ready; the citizen is told."""
        at = self._require("mark ready", at)
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
        at = self._require("change the pickup centre of", at)
        centre = parse_centre_code(centre, "centre")
        if self.delivery is not Delivery.PICKUP:
            raise InvalidTransition(
                "change the pickup centre of", self.status.value, "delivery is by post"
            )
        if centre == self.pickup_centre:
            raise ValidationError("centre", f"already to be collected at {centre}")
        printed = self.document_at is not None  # issued: the paper moves with the choice
        self._pickup_changed(centre=centre, transfer=printed, by=by, at=at)

    @event("PickupCentreChanged")
    def _pickup_changed(
        self, *, centre: str, transfer: bool, by: UUID | None, at: datetime
    ) -> None:
        self.pickup_centre = centre
        if transfer:
            self._hand_off(self.document_at or "", f"centre:{centre}", by, at)
            if self.status is Status.READY_FOR_PICKUP:
                self.status = Status.CERTIFIED  # ready again once it arrives
        self.updated_at = at

    def hand_over(
        self,
        *,
        recipient: Collector | str,
        recipient_citizen_id: UUID | None,
        recipient_national_number: str,
        relation: str | None = None,
        proxy_document: str | None = None,
        clerk_id: UUID,
        centre: str,
        at: datetime,
    ) -> None:
        """Hand the document over, if this recipient may collect it.

        ``recipient_citizen_id`` is the recipient's citizen id, None if they have no account.
        """
        at = self._require("hand over", at)
        kind = choice("recipient", Collector, recipient)
        national_number = digits("recipient_national_number", recipient_national_number, 11)
        centre = parse_centre_code(centre, "centre")
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
        if kind is Collector.FIRST_DEGREE_RELATIVE:
            relation = Relation.parse(relation)
        if kind is Collector.PROXY:
            proxy_document = bounded("proxy_document", proxy_document, 50)
        self._collected(
            recipient=kind,
            recipient_citizen_id=recipient_citizen_id,
            recipient_national_number=national_number,
            relation=Relation(relation) if kind is Collector.FIRST_DEGREE_RELATIVE else None,
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
        recipient_citizen_id: UUID | None,
        recipient_national_number: str,
        relation: Relation | None,
        proxy_document: str | None,
        clerk_id: UUID,
        centre: str,
        at: datetime,
    ) -> None:
        self.collected_by = {
            "recipient": recipient,
            "citizen_id": recipient_citizen_id,
            "national_number": recipient_national_number,
            "relation": relation,
            "proxy_document": proxy_document,
        }
        self._hand_off(f"centre:{centre}", f"citizen:{recipient.value}", clerk_id, at)
        self.status = Status.COLLECTED
        self.updated_at = at

    def dispatch_by_post(self, *, postal_tracking: str, clerk_id: UUID, at: datetime) -> None:
        at = self._require("dispatch by post", at)
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
        at = self._require("record delivery of", at)
        self._delivered(at=at)

    @event("Delivered")
    def _delivered(self, *, at: datetime) -> None:
        self._hand_off("post", f"citizen:{self.delivery.value}", None, at)
        self.status = Status.DELIVERED
        self.updated_at = at

    def expire(self, *, on: date, at: datetime) -> None:
        """Never collected within the service's validity."""
        at = self._require("expire", at)
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
