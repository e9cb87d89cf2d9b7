"""``requests``: the current state of every request (معاملة), indexed for what frontends ask.

Personal data stays in the events (the form, the home address, the recipient's national
number): this table holds what a tracking page, a counter and a supervisor look up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from .decoding import Decoded
from .projection import Projection, Tables
from .request_events import due_on, is_closed, plain, status_after, syria_day
from .rows import Columns, Row

COLUMNS = Columns(
    {
        "request_id": "uuid",
        "tracking_number": "text",
        "citizen_id": "uuid",
        "service_code": "text",
        "agency_code": "text",
        "direct_access": "boolean",
        "channel": "text",
        "origin_centre": "text",
        "processing_centre": "text",
        "pickup_centre": "text",
        "delivery": "text",
        "status": "text",
        "fee_total": "integer",
        "paid_amount": "integer",
        "payment_provider": "text",
        "refunded_amount": "integer",
        "clerk_id": "uuid",
        "agency_reference": "text",
        "information_requested": "text",
        "rejection_reason": "text",
        "cancel_reason": "text",
        "document_reference": "text",
        "document_at": "text",
        "postal_tracking": "text",
        "collected_by": "text",
        "due_on": "date",
        "clock_paused": "boolean",
        "ready_on": "date",
        "submitted_at": "timestamptz",
        "submitted_on": "date",
        "updated_at": "timestamptz",
        "closed_at": "timestamptz",
        "version": "bigint",
        "position": "bigint",
    }
)


def _row(event: Decoded) -> Row:
    s = event.state
    row: Row = dict.fromkeys(COLUMNS.names)
    row.update(
        request_id=event.stream_id,
        tracking_number=s["tracking_number"],
        citizen_id=s["citizen_id"],
        service_code=s["service_code"],
        agency_code=s["agency_code"],
        direct_access=s["direct_access"],
        channel=plain(s["channel"]),
        origin_centre=s["origin_centre"],
        processing_centre=s["processing_centre"],
        pickup_centre=s["pickup_centre"],
        delivery=plain(s["delivery"]),
        status="submitted",
        clock_paused=False,
        submitted_at=event.at,
        submitted_on=syria_day(event.at),
    )
    return row


def _change(row: Row, event: Decoded) -> None:
    """Fold one event (not the submission) into the request's row."""
    s, name = event.state, event.name
    if name == "FeeAssessed":
        row["fee_total"] = s["total"]
        row["due_on"] = due_on(s) or row["due_on"]
    elif name == "PaymentRecorded":
        row["paid_amount"] = s["amount"]
        row["payment_provider"] = s["provider"]
        row["due_on"] = due_on(s)
    elif name == "AcceptedByAgency":
        row["agency_reference"] = s["agency_reference"]
    elif name == "InformationRequested":
        row["information_requested"] = s["what"]
        row["clock_paused"] = True
    elif name == "InformationProvided":
        row["information_requested"] = None
        row["clock_paused"] = False
        row["due_on"] = due_on(s) or row["due_on"]
    elif name == "Issued":
        row["document_reference"] = s["document_reference"]
        row["document_at"] = f"centre:{s['to_centre']}"
    elif name == "Rejected":
        row["rejection_reason"] = s["reason"]
    elif name == "Refunded":
        row["refunded_amount"] = s["amount"]
    elif name == "Cancelled":
        row["cancel_reason"] = s["reason"]
    elif name == "ClerkAssigned":
        row["clerk_id"] = s["clerk_id"]
    elif name == "ReadyForPickup":
        row["ready_on"] = s["on"]
    elif name == "PickupCentreChanged":
        row["pickup_centre"] = s["centre"]
        if s["transfer"]:
            row["document_at"] = f"centre:{s['centre']}"
    elif name == "Collected":
        row["collected_by"] = plain(s["recipient"])
        row["document_at"] = f"citizen:{plain(s['recipient'])}"
    elif name == "Dispatched":
        row["postal_tracking"] = s["postal_tracking"]
        row["document_at"] = "post"
    elif name == "Delivered":
        row["document_at"] = f"citizen:{row['delivery']}"
    row["status"] = status_after(name, s, row["status"])


class RequestsProjection(Projection):
    name = "requests"
    version = 1
    families = frozenset({"request"})
    ddl: ClassVar[dict[str, str]] = {
        "requests": """
            CREATE TABLE {requests} (
                request_id uuid PRIMARY KEY, tracking_number text NOT NULL,
                citizen_id uuid NOT NULL, service_code text NOT NULL, agency_code text NOT NULL,
                direct_access boolean NOT NULL,
                channel text NOT NULL, origin_centre text, processing_centre text NOT NULL,
                pickup_centre text, delivery text NOT NULL, status text NOT NULL,
                fee_total integer, paid_amount integer, payment_provider text,
                refunded_amount integer, clerk_id uuid, agency_reference text,
                information_requested text, rejection_reason text, cancel_reason text,
                document_reference text, document_at text, postal_tracking text,
                collected_by text, due_on date, clock_paused boolean NOT NULL, ready_on date,
                submitted_at timestamptz NOT NULL, submitted_on date NOT NULL,
                updated_at timestamptz, closed_at timestamptz,
                version bigint NOT NULL, position bigint NOT NULL
            );
            CREATE UNIQUE INDEX ON {requests} (tracking_number);
            CREATE INDEX ON {requests} (citizen_id, submitted_at);
            CREATE INDEX ON {requests} (origin_centre, submitted_on);
            CREATE INDEX ON {requests} (pickup_centre, status);
            CREATE INDEX ON {requests} (processing_centre, status);
            CREATE INDEX ON {requests} (agency_code, status);
            CREATE INDEX ON {requests} (status, submitted_on);
            CREATE INDEX ON {requests} (submitted_on);
        """
    }

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        rows = self.rows(tables, "requests", COLUMNS)
        await rows.load(conn, {e.stream_id for e in events if e.name != "Submitted"})
        put, change = rows.put, rows.change
        for event in events:
            if event.name == "Submitted":
                row = put(_row(event))
            else:
                found = change(event.stream_id)
                if found is None:
                    raise LookupError(f"request {event.stream_id} was never submitted")
                row = found
                _change(row, event)
            at = event.at
            row["version"] = event.version
            row["position"] = event.position
            row["updated_at"] = at
            if row["closed_at"] is None and is_closed(
                row["status"], row["paid_amount"] is not None
            ):
                row["closed_at"] = at
        await rows.flush(conn)
