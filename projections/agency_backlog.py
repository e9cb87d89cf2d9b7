"""``agency_backlog``: the requests each agency holds now, and since when.

One row per open request from submission until the agency answers (issued or rejected) or the
request is cancelled; ``sent_at`` is set once it reaches the agency. :func:`summary` counts
them per agency and centre and says how long the oldest has waited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

import asyncpg

from .decoding import Decoded
from .projection import Projection, Tables
from .request_events import status_after
from .rows import Columns, Row

COLUMNS = Columns(
    {
        "request_id": "uuid",
        "tracking_number": "text",
        "agency_code": "text",
        "centre": "text",
        "service_code": "text",
        "status": "text",
        "submitted_at": "timestamptz",
        "sent_at": "timestamptz",
        "info_requested_at": "timestamptz",
    }
)
# The agency is done with the request (or never will see it).
_LEAVES = frozenset({"Issued", "Rejected", "Cancelled"})


class AgencyBacklogProjection(Projection):
    name = "agency_backlog"
    version = 1
    families = frozenset({"request"})
    ddl: ClassVar[dict[str, str]] = {
        "agency_backlog": """
            CREATE TABLE {agency_backlog} (
                request_id uuid PRIMARY KEY, tracking_number text NOT NULL,
                agency_code text NOT NULL, centre text NOT NULL, service_code text NOT NULL,
                status text NOT NULL, submitted_at timestamptz NOT NULL, sent_at timestamptz,
                info_requested_at timestamptz
            );
            CREATE INDEX ON {agency_backlog} (agency_code, sent_at) WHERE sent_at IS NOT NULL
        """
    }

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        rows = self.rows(tables, "agency_backlog", COLUMNS)
        await rows.load(conn, {e.stream_id for e in events if e.name != "Submitted"})
        for event in events:
            s = event.state
            if event.name == "Submitted":
                rows.put(
                    {
                        "request_id": event.stream_id,
                        "tracking_number": s["tracking_number"],
                        "agency_code": s["agency_code"],
                        "centre": s["processing_centre"],
                        "service_code": s["service_code"],
                        "status": "submitted",
                        "submitted_at": event.at,
                        "sent_at": None,
                        "info_requested_at": None,
                    }
                )
                continue
            if event.name in _LEAVES:
                rows.remove(event.stream_id)
                continue
            row = rows.change(event.stream_id)
            if row is None:
                status_after(event.name, s, "")  # unknown events still stop the projection
                continue  # the agency has answered: later events are not its backlog
            row["status"] = status_after(event.name, s, row["status"])
            if event.name == "SentToAgency":
                row["sent_at"] = event.at
            elif event.name == "InformationRequested":
                row["info_requested_at"] = event.at
            elif event.name == "InformationProvided":
                row["info_requested_at"] = None
        await rows.flush(conn)


async def summary(conn: asyncpg.Connection | asyncpg.Pool, now: datetime) -> list[Row]:
    """Per agency and centre: requests at the agency, those waiting on the citizen, the oldest."""
    rows = await conn.fetch(
        "SELECT agency_code, centre, count(*) AS open,"
        " count(*) FILTER (WHERE info_requested_at IS NOT NULL) AS waiting_on_citizen,"
        " min(sent_at) AS oldest_sent_at,"
        " extract(epoch FROM $1::timestamptz - min(sent_at)) / 86400 AS oldest_days"
        " FROM agency_backlog WHERE sent_at IS NOT NULL"
        " GROUP BY agency_code, centre ORDER BY agency_code, centre",
        now,
    )
    return [dict(r) for r in rows]
