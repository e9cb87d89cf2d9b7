"""Figures for supervisors and the policy and oversight department."""

from __future__ import annotations

from datetime import date, datetime

import strawberry


@strawberry.type(description="Requests of one service at one centre on one day.")
class ServiceDay:
    centre: str
    day: date
    service_code: str
    submitted: int
    completed: int
    rejected: int
    median_turnaround_hours: float | None
    p90_turnaround_hours: float | None


@strawberry.type(description="Visitors of a centre's queue on one day.")
class VisitDay:
    centre: str
    day: date
    tickets: int
    served: int
    no_shows: int


@strawberry.type
class CentreStats:
    services: list[ServiceDay]
    visits: list[VisitDay]


@strawberry.type(description="A request waiting on an agency.")
class BacklogItem:
    tracking_number: str
    agency_code: str
    centre: str
    service_code: str
    status: str
    submitted_at: datetime
    sent_at: datetime | None
    info_requested_at: datetime | None


@strawberry.type
class AgencyBacklog:
    total: int
    items: list[BacklogItem]
