"""``build_schema()``: every area's queries, mutations and subscriptions in one schema."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from khidma.core.config import Settings

from .admin.mutations import AdminMutations
from .audit.queries import AuditQueries
from .catalog.queries import CatalogQueries
from .catalog.types import Service
from .centres.queries import CentreQueries
from .centres.types import Centre
from .citizens.mutations import CitizenMutations
from .citizens.queries import CitizenQueries
from .limits import extensions
from .node import NodeQueries
from .queues.mutations import QueueMutations
from .requests.mutations import RequestMutations
from .requests.queries import RequestQueries
from .requests.types import Request
from .stats.queries import StatsQueries
from .subscriptions.fields import Subscription


@strawberry.type
class Query(
    RequestQueries,
    CitizenQueries,
    CatalogQueries,
    CentreQueries,
    StatsQueries,
    NodeQueries,
    AuditQueries,
):
    """Everything a frontend reads, and what auditors read."""


@strawberry.type
class Mutation(RequestMutations, CitizenMutations, QueueMutations, AdminMutations):
    """Every command of khidma; each takes an idempotency key."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with its limits (depth, tokens, aliases) and parser and validation caches."""
    limits = settings or Settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Request, Service, Centre],
        config=StrawberryConfig(auto_camel_case=True),
        extensions=extensions(limits),
    )
