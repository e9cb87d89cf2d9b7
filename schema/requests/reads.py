"""Reading requests within the caller's scope: one by tracking number, or a page."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg
import strawberry

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.tracking import parse_tracking_number

from ..common.relay import PageInfo, decode_cursor, encode_cursor
from ..loaders.requests import Tracked
from ..permissions import scope
from .types import Request, RequestConnection, RequestEdge, RequestFilter

MAX_PAGE = 100
NUMBERS_KEPT = 4096

# Parsing checks a typed number's check digit: each text once (a pure function; an invalid
# text raises every time, as exceptions are not cached).
_parse = lru_cache(maxsize=NUMBERS_KEPT)(parse_tracking_number)


async def one(info: strawberry.Info, tracking_number: str) -> asyncpg.Record | None:
    """The request's row if it exists and the caller may see it (else None: not disclosed)."""
    try:
        number = _parse(tracking_number)
    except ValidationError:
        return None
    row = await info.context.loaders.request.load(number)
    if row is None or not scope.can_see(info.context.actor, row):
        return None
    return row


async def tracked(info: strawberry.Info, tracking_number: str) -> Tracked | None:
    """The request's row and its timeline (read in the same statement), as ``one``."""
    try:
        number = _parse(tracking_number)
    except ValidationError:
        return None
    found = await info.context.loaders.tracked.load(number)
    if found is None or not scope.can_see(info.context.actor, found[0]):
        return None
    return found


async def page(
    info: strawberry.Info,
    where: RequestFilter | None,
    first: int,
    after: str | None,
    *,
    citizen: UUID | None = None,
) -> RequestConnection:
    """A page of visible requests, newest first, keyset-paginated by (submitted_at, id)."""
    if not 1 <= first <= MAX_PAGE:
        raise ValueError(f"first: between 1 and {MAX_PAGE}")
    args: list[Any] = []
    conditions = [scope.sql(info.context.actor, args)]
    if citizen is not None:
        args.append(citizen)
        conditions.append(f"citizen_id = ${len(args)}")
    for column, value in _filters(where):
        args.append(value)
        conditions.append(column.format(n=len(args)))
    if after is not None:
        parts = decode_cursor(after, 2)
        if parts is None:
            raise ValueError("after: not a cursor of this list")
        args.extend([datetime.fromisoformat(parts[0]), UUID(parts[1])])
        conditions.append(f"(submitted_at, request_id) < (${len(args) - 1}, ${len(args)})")
    args.append(first + 1)
    sql = (
        f"SELECT * FROM requests WHERE {' AND '.join(conditions)}"
        f" ORDER BY submitted_at DESC, request_id DESC LIMIT ${len(args)}"
    )
    rows = await info.context.store.pool.fetch(sql, *args)
    more = len(rows) > first
    rows = rows[:first]
    loader = info.context.loaders.request
    edges = []
    for row in rows:
        loader.prime(row["tracking_number"], row)
        cursor = encode_cursor(row["submitted_at"].isoformat(), str(row["request_id"]))
        edges.append(RequestEdge(cursor=cursor, node=Request.of(row)))
    return RequestConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
    )


def _filters(where: RequestFilter | None) -> list[tuple[str, Any]]:
    if where is None:
        return []
    found: list[tuple[str, Any]] = []
    if where.status:
        found.append(("status = ${n}", where.status))
    if where.service_code:
        found.append(("service_code = ${n}", where.service_code))
    if where.agency_code:
        found.append(("agency_code = ${n}", where.agency_code))
    if where.centre:
        found.append(
            ("(origin_centre = ${n} OR pickup_centre = ${n} OR processing_centre = ${n})",
             where.centre.upper())
        )  # fmt: skip
    if where.submitted_from:
        found.append(("submitted_on >= ${n}", where.submitted_from))
    if where.submitted_to:
        found.append(("submitted_on <= ${n}", where.submitted_to))
    return found
