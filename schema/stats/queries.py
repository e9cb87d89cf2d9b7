"""centreStats and agencyBacklog, limited to the caller's centre, governorate or agency."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from khidma.core.app import Actor
from khidma.core.domain.roles import Role

from ..permissions import scope
from ..permissions.rules import RoleMayRun
from .types import AgencyBacklog, BacklogItem, CentreStats, ServiceDay, VisitDay

_LIMIT = 500


def _centre_scope(actor: Actor, args: list[Any], column: str = "centre") -> str:
    """Clerks see their centre; supervisors their governorate; the others every centre."""
    if actor.role is Role.CLERK:
        args.append(actor.centre)
        return f"{column} = ${len(args)}"
    if actor.role is Role.SUPERVISOR:
        args.append(f"{scope.governorate(actor)}-%")
        return f"{column} LIKE ${len(args)}"
    return "true"


@strawberry.type
class StatsQueries:
    @strawberry.field(permission_classes=[RoleMayRun], description="Daily figures of centres.")
    async def centre_stats(
        self, info: strawberry.Info, start: date, end: date, centre: str | None = None
    ) -> CentreStats:
        actor = info.context.actor
        args: list[Any] = [start, end]
        where = ["day BETWEEN $1 AND $2", _centre_scope(actor, args)]
        if centre:
            args.append(centre.upper())
            where.append(f"centre = ${len(args)}")
        pool = info.context.store.pool
        condition = " AND ".join(where)
        services = await pool.fetch(
            f"SELECT * FROM centre_daily_stats WHERE {condition}"
            f" ORDER BY day, centre, service_code LIMIT {_LIMIT}",
            *args,
        )
        visits = await pool.fetch(
            f"SELECT * FROM centre_daily_visits WHERE {condition}"
            f" ORDER BY day, centre LIMIT {_LIMIT}",
            *args,
        )
        return CentreStats(
            services=[ServiceDay(**{k: r[k] for k in _SERVICE_DAY}) for r in services],
            visits=[VisitDay(**{k: r[k] for k in _VISIT_DAY}) for r in visits],
        )

    @strawberry.field(permission_classes=[RoleMayRun], description="Requests at agencies.")
    async def agency_backlog(
        self, info: strawberry.Info, agency: str | None = None, first: int = 100
    ) -> AgencyBacklog:
        actor = info.context.actor
        args: list[Any] = []
        where = ["sent_at IS NOT NULL"]
        if actor.role is Role.AGENCY or (actor.role is Role.CLERK and actor.agency):
            args.append(actor.agency)
            where.append(f"agency_code = ${len(args)}")
        where.append(_centre_scope(actor, args))
        if agency:
            args.append(agency)
            where.append(f"agency_code = ${len(args)}")
        condition = " AND ".join(where)
        pool = info.context.store.pool
        total = await pool.fetchval(f"SELECT count(*) FROM agency_backlog WHERE {condition}", *args)
        args.append(max(1, min(first, _LIMIT)))
        rows = await pool.fetch(
            f"SELECT * FROM agency_backlog WHERE {condition} ORDER BY sent_at LIMIT ${len(args)}",
            *args,
        )
        return AgencyBacklog(
            total=total, items=[BacklogItem(**{k: r[k] for k in _BACKLOG}) for r in rows]
        )


_SERVICE_DAY = (
    "centre", "day", "service_code", "submitted", "completed", "rejected",
    "median_turnaround_hours", "p90_turnaround_hours",
)  # fmt: skip
_VISIT_DAY = ("centre", "day", "tickets", "served", "no_shows")
_BACKLOG = (
    "tracking_number", "agency_code", "centre", "service_code", "status", "submitted_at",
    "sent_at", "info_requested_at",
)  # fmt: skip
