"""``centre_daily_stats``: per centre, day and service, what the reports quote.

Submitted, completed (collected or delivered) and rejected requests, and the median and 90th
percentile of the turnaround (hours from filing to the document in the citizen's hands) of the
requests completed that day; beside it ``centre_daily_visits``, the queue's tickets per centre
and day (visitors per day). Monthly figures are sums over days (see :func:`monthly`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

import asyncpg

from .decoding import Decoded
from .projection import Projection, Tables
from .request_events import syria_day
from .rows import Columns, Row

_REQUESTS = Columns(
    {"request_id": "uuid", "centre": "text", "service_code": "text", "submitted_at": "timestamptz"}
)
_QUEUES = Columns({"queue_id": "uuid", "centre": "text", "day": "date"})
_TURNAROUNDS = Columns(
    {
        "centre": "text",
        "day": "date",
        "service_code": "text",
        "request_id": "uuid",
        "hours": "float8",
    },
    keys=4,
)
_COUNTS = ("submitted", "completed", "rejected")
_VISITS = ("tickets", "served", "no_shows")
# The queue events counted in ``centre_daily_visits``, and the count each adds to.
_VISITED = {"TicketTaken": "tickets", "TicketServed": "served", "NoShowRecorded": "no_shows"}


class CentreDailyStatsProjection(Projection):
    name = "centre_daily_stats"
    version = 2
    families = frozenset({"request", "queue"})
    ddl: ClassVar[dict[str, str]] = {
        "centre_daily_stats": """
            CREATE TABLE {centre_daily_stats} (
                centre text NOT NULL, day date NOT NULL, service_code text NOT NULL,
                submitted integer NOT NULL DEFAULT 0, completed integer NOT NULL DEFAULT 0,
                rejected integer NOT NULL DEFAULT 0,
                median_turnaround_hours float8, p90_turnaround_hours float8,
                PRIMARY KEY (centre, day, service_code)
            );
            CREATE INDEX ON {centre_daily_stats} (day)
        """,
        "centre_daily_visits": """
            CREATE TABLE {centre_daily_visits} (
                centre text NOT NULL, day date NOT NULL, tickets integer NOT NULL DEFAULT 0,
                served integer NOT NULL DEFAULT 0, no_shows integer NOT NULL DEFAULT 0,
                PRIMARY KEY (centre, day)
            )
        """,
        # What the counts need to know about a request after its submission.
        "centre_daily_stats_requests": """
            CREATE TABLE {centre_daily_stats_requests} (
                request_id uuid PRIMARY KEY, centre text NOT NULL, service_code text NOT NULL,
                submitted_at timestamptz NOT NULL
            )
        """,
        "centre_daily_stats_queues": """
            CREATE TABLE {centre_daily_stats_queues} (
                queue_id uuid PRIMARY KEY, centre text NOT NULL, day date NOT NULL
            )
        """,
        "centre_daily_turnarounds": """
            CREATE TABLE {centre_daily_turnarounds} (
                request_id uuid NOT NULL, centre text NOT NULL, day date NOT NULL,
                service_code text NOT NULL, hours float8 NOT NULL,
                PRIMARY KEY (centre, day, service_code, request_id)
            )
        """,
    }

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        requests = self.rows(tables, "centre_daily_stats_requests", _REQUESTS)
        queues = self.rows(tables, "centre_daily_stats_queues", _QUEUES)
        turnarounds = self.rows(tables, "centre_daily_turnarounds", _TURNAROUNDS)
        await requests.load(
            conn, {e.stream_id for e in events if e.name in ("Rejected", "Collected", "Delivered")}
        )
        await queues.load(conn, {e.stream_id for e in events if e.family == "queue"})
        counts: Counter[tuple[str, date, str, str]] = Counter()
        visits: Counter[tuple[str, date, str]] = Counter()
        completed: set[tuple[str, date, str]] = set()
        for event in events:
            s = event.state
            if event.family == "queue":
                if event.name == "Opened":
                    queues.put(
                        {"queue_id": event.stream_id, "centre": s["centre_code"], "day": s["day"]}
                    )
                    visits[(s["centre_code"], s["day"], "tickets")] += 0
                    continue
                queue = queues.get(event.stream_id)
                if queue is None:
                    raise LookupError(f"queue {event.stream_id} was never opened")
                field = _VISITED.get(event.name)
                if field:
                    visits[(queue["centre"], queue["day"], field)] += 1
                continue
            if event.name == "Submitted":
                request = requests.put(
                    {
                        "request_id": event.stream_id,
                        "centre": s["processing_centre"],
                        "service_code": s["service_code"],
                        "submitted_at": event.at,
                    }
                )
                counts[
                    (request["centre"], syria_day(event.at), request["service_code"], "submitted")
                ] += 1
            elif event.name in ("Rejected", "Collected", "Delivered"):
                request = requests.get(event.stream_id)
                if request is None:
                    raise LookupError(f"request {event.stream_id} was never submitted")
                day, service = syria_day(event.at), request["service_code"]
                if event.name == "Rejected":
                    counts[(request["centre"], day, service, "rejected")] += 1
                    continue
                centre = s.get("centre") or request["centre"]
                counts[(centre, day, service, "completed")] += 1
                hours = (event.at - request["submitted_at"]).total_seconds() / 3600
                turnarounds.put(
                    {
                        "centre": centre,
                        "day": day,
                        "service_code": service,
                        "request_id": event.stream_id,
                        "hours": hours,
                    }
                )
                completed.add((centre, day, service))
        await requests.flush(conn)
        await queues.flush(conn)
        await _add(
            conn, tables["centre_daily_stats"], ("centre", "day", "service_code"), _COUNTS, counts
        )
        await _add(conn, tables["centre_daily_visits"], ("centre", "day"), _VISITS, visits)
        await turnarounds.flush(conn)
        if completed and not self.keep:  # a rebuild computes them once, at the end
            await _percentiles(conn, tables, completed)

    async def finish(self, conn: asyncpg.Connection, tables: Tables) -> None:
        await super().finish(conn, tables)
        await _percentiles(conn, tables, None)


async def _add(
    conn: asyncpg.Connection,
    table: str,
    keys: tuple[str, ...],
    fields: tuple[str, ...],
    counts: Counter[Any],
) -> None:
    """Add the batch's counts to the stored ones (one statement for the whole batch)."""
    if not counts:
        return
    grouped: dict[tuple[Any, ...], dict[str, int]] = {}
    for (*key, field), n in counts.items():
        grouped.setdefault(tuple(key), dict.fromkeys(fields, 0))[field] += n
    columns = [*keys, *fields]
    types = {"centre": "text", "day": "date", "service_code": "text"}
    values = [[k[i] for k in grouped] for i in range(len(keys))]
    values += [[v[f] for v in grouped.values()] for f in fields]
    params = ", ".join(f"${i}::{types.get(c, 'integer')}[]" for i, c in enumerate(columns, start=1))
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({params})"
        f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in fields),
        *values,
    )


async def _percentiles(
    conn: asyncpg.Connection, tables: Tables, keys: set[tuple[str, date, str]] | None
) -> None:
    """Recompute the turnaround percentiles of ``keys`` (of every centre, day and service: None)."""
    stats, turnarounds = tables["centre_daily_stats"], tables["centre_daily_turnarounds"]
    only, args = "", []
    if keys is not None:
        only = (
            " JOIN unnest($1::text[], $2::date[], $3::text[]) AS k(centre, day, service_code)"
            " USING (centre, day, service_code)"
        )
        args = [list(col) for col in zip(*keys, strict=True)]
    await conn.execute(
        f"UPDATE {stats} s SET median_turnaround_hours = p.median,"
        " p90_turnaround_hours = p.p90 FROM ("
        " SELECT t.centre, t.day, t.service_code,"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY t.hours) AS median,"
        " percentile_cont(0.9) WITHIN GROUP (ORDER BY t.hours) AS p90"
        f" FROM {turnarounds} t{only}"
        " GROUP BY t.centre, t.day, t.service_code) p"
        " WHERE (s.centre, s.day, s.service_code) = (p.centre, p.day, p.service_code)",
        *args,
    )


async def monthly(conn: asyncpg.Connection | asyncpg.Pool, centre: str, month: date) -> list[Row]:
    """Per service, a centre's submitted, completed and rejected requests in ``month``."""
    rows = await conn.fetch(
        "SELECT service_code, sum(submitted) AS submitted, sum(completed) AS completed,"
        " sum(rejected) AS rejected FROM centre_daily_stats"
        " WHERE centre = $1 AND day >= date_trunc('month', $2::date)"
        " AND day < date_trunc('month', $2::date) + interval '1 month'"
        " GROUP BY service_code ORDER BY service_code",
        centre,
        month,
    )
    return [dict(r) for r in rows]
