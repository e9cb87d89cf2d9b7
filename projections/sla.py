"""``sla``: per request, whose turn it is and how many working days each party has used.

Four clocks, in working days: the centre's, the agency's, the citizen's (waiting for payment
or information) and the payment provider's (a refund owed). A request is done, for its due
date, once the document is ready or on its way, or nothing more is owed; a late one names the
party (centre, agency or payment provider) that used most of the time. :func:`due` counts,
per centre and agency, the open requests nearing their due date and those past it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

import asyncpg

from .decoding import Decoded
from .projection import Projection, Tables
from .request_events import due_on, status_after, syria_day
from .rows import Columns, Row
from .workdays import Workdays

COLUMNS = Columns(
    {
        "request_id": "uuid",
        "tracking_number": "text",
        "agency_code": "text",
        "centre": "text",
        "service_code": "text",
        "status": "text",
        "paid": "boolean",
        "waiting_on": "text",
        "waiting_since": "date",
        "centre_days": "integer",
        "agency_days": "integer",
        "citizen_days": "integer",
        "payment_provider_days": "integer",
        "due_on": "date",
        "open": "boolean",
        "done_on": "date",
        "late_days": "integer",
        "late_because": "text",
    }
)
_PARTY = {
    "submitted": "centre",
    "awaiting_payment": "citizen",
    "paid": "centre",
    "sent_to_agency": "agency",
    "agency_processing": "agency",
    "info_required": "citizen",
    "issued": "centre",
    "certified": "centre",
}
_ACCOUNTABLE = ("centre", "agency", "payment_provider")  # the citizen's days stop the clock
_DAYS = {party: f"{party}_days" for party in (*_ACCOUNTABLE, "citizen")}


def waiting_on(status: str, paid: bool) -> str | None:
    """Whose turn it is, or None when the request is done as far as its due date goes."""
    if status in ("rejected", "cancelled") and paid:
        return "payment_provider"  # the refund is owed
    return _PARTY.get(status)


class SlaProjection(Projection):
    name = "sla"
    version = 1
    families = frozenset({"request", "calendar"})
    ddl: ClassVar[dict[str, str]] = {
        "sla": """
            CREATE TABLE {sla} (
                request_id uuid PRIMARY KEY, tracking_number text NOT NULL,
                agency_code text NOT NULL, centre text NOT NULL, service_code text NOT NULL,
                status text NOT NULL, paid boolean NOT NULL, waiting_on text,
                waiting_since date NOT NULL, centre_days integer NOT NULL,
                agency_days integer NOT NULL, citizen_days integer NOT NULL,
                payment_provider_days integer NOT NULL, due_on date, open boolean NOT NULL,
                done_on date, late_days integer, late_because text
            );
            CREATE INDEX ON {sla} (centre, due_on) WHERE open;
            CREATE INDEX ON {sla} (agency_code, due_on) WHERE open
        """,
        "sla_calendar": """
            CREATE TABLE {sla_calendar} (
                country text PRIMARY KEY, weekend jsonb NOT NULL, holidays jsonb NOT NULL
            )
        """,
    }

    def __init__(self) -> None:
        self.workdays = Workdays()
        self._holidays: dict[str, list[str]] = {}
        self._weekend: list[int] = sorted(self.workdays.weekend)

    async def prepare(self, conn: asyncpg.Connection, tables: Tables) -> None:
        row = await conn.fetchrow(f"SELECT * FROM {tables['sla_calendar']} LIMIT 1")
        if row is None:
            self._weekend, self._holidays = sorted(Workdays().weekend), {}
        else:
            self._weekend, self._holidays = list(row["weekend"]), dict(row["holidays"])
        self._rebuild_workdays()

    def _rebuild_workdays(self) -> None:
        off = [date.fromisoformat(d) for days in self._holidays.values() for d in days]
        if set(self._weekend) != self.workdays.weekend or set(off) != self.workdays.off:
            self.workdays = Workdays(self._weekend, off)  # else keep what it has counted

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        rows = self.rows(tables, "sla", COLUMNS)
        await rows.load(
            conn, {e.stream_id for e in events if e.family == "request" and e.name != "Submitted"}
        )
        calendar: str | None = None
        for event in events:
            if event.family == "calendar":
                calendar = self._calendar(event) or calendar
                continue
            if event.name == "Submitted":
                rows.put(_new(event))
                continue
            row = rows.change(event.stream_id)
            if row is None:
                raise LookupError(f"request {event.stream_id} was never submitted")
            self._change(row, event)
        if calendar is not None:
            await conn.execute(
                f"INSERT INTO {tables['sla_calendar']} (country, weekend, holidays)"
                " VALUES ($1, $2, $3) ON CONFLICT (country) DO UPDATE"
                " SET weekend = excluded.weekend, holidays = excluded.holidays",
                calendar,
                self._weekend,
                self._holidays,
            )
        await rows.flush(conn)

    def _calendar(self, event: Decoded) -> str | None:
        s = event.state
        if event.name == "Created":
            self._weekend = sorted(s["weekend"])
        elif event.name == "HolidaysDeclared":
            self._holidays[str(s["year"])] = [h["on"].isoformat() for h in s["holidays"]]
        else:
            return None
        self._rebuild_workdays()
        return "SY"

    def _change(self, row: Row, event: Decoded) -> None:
        s, name = event.state, event.name
        status = row["status"] = status_after(name, s, row["status"])
        if name == "PaymentRecorded":
            row["paid"] = True
        elif name == "Refunded":
            row["paid"] = False
        if s.get("clock"):
            row["due_on"] = due_on(s) or row["due_on"]
        party = waiting_on(status, row["paid"])
        if party == row["waiting_on"] or not row["open"]:
            return
        day = syria_day(event.at)
        if row["waiting_on"] is not None:
            used = max(0, self.workdays.between(row["waiting_since"], day))
            row[_DAYS[row["waiting_on"]]] += used
        row["waiting_on"] = party
        row["waiting_since"] = day
        if party is None:
            row["open"] = False
            row["done_on"] = day
            if row["due_on"] is not None and day > row["due_on"]:
                row["late_days"] = self.workdays.between(row["due_on"], day)
                row["late_because"] = max(_ACCOUNTABLE, key=lambda p: row[f"{p}_days"])


def _new(event: Decoded) -> Row:
    s, day = event.state, syria_day(event.at)
    return {
        "request_id": event.stream_id,
        "tracking_number": s["tracking_number"],
        "agency_code": s["agency_code"],
        "centre": s["processing_centre"],
        "service_code": s["service_code"],
        "status": "submitted",
        "paid": False,
        "waiting_on": "centre",
        "waiting_since": day,
        "centre_days": 0,
        "agency_days": 0,
        "citizen_days": 0,
        "payment_provider_days": 0,
        "due_on": None,
        "open": True,
        "done_on": None,
        "late_days": None,
        "late_because": None,
    }


async def due(
    conn: asyncpg.Connection | asyncpg.Pool, today: date, within_days: int = 2
) -> list[dict[str, Any]]:
    """Per centre and agency: open requests due within ``within_days`` days, and those past due."""
    rows = await conn.fetch(
        "SELECT centre, agency_code,"
        " count(*) FILTER (WHERE due_on >= $1 AND due_on <= $2) AS due_soon,"
        " count(*) FILTER (WHERE due_on < $1) AS overdue"
        " FROM sla WHERE open AND due_on IS NOT NULL AND due_on <= $2"
        " GROUP BY centre, agency_code ORDER BY centre, agency_code",
        today,
        today + timedelta(days=within_days),
    )
    return [dict(r) for r in rows]
