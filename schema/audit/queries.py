"""The auditors' queries: the event log, a request's history, a request as of a past moment.

Read from the hash-chained log through ``khidma.core.app.history``; open to auditors and
admins only (schema/PERMISSIONS.md). Bad arguments answer ValidationError naming the field.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from khidma.core.app import NotFound
from khidma.core.app.history import MAX_PAGE, History
from khidma.core.app.log_filter import LogFilter
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.tracking import parse_tracking_number, request_id

from ..common.errors import failure
from ..common.relay import PageInfo, decode_cursor, encode_cursor
from ..permissions.rules import RoleMayRun
from .types import (
    EventLogConnection,
    EventLogFilter,
    EventLogResult,
    LoggedEvent,
    LoggedEventEdge,
    RequestHistory,
    RequestHistoryResult,
    RequestState,
    RequestStateResult,
)

ALLOWED = [RoleMayRun]
_CURSOR = "log"


def _history(info: strawberry.Info) -> History:
    return History.of(info.context.khidma.runner)


@strawberry.type
class AuditQueries:
    @strawberry.field(
        permission_classes=ALLOWED,
        description=f"The event log in position order, oldest first, optionally narrowed; pages"
        f" of `first` (1 to {MAX_PAGE}) after the cursor `after` or after `afterPosition`.",
    )
    async def event_log(
        self,
        info: strawberry.Info,
        filter: EventLogFilter | None = None,
        first: int = 50,
        after: str | None = None,
        after_position: int | None = None,
    ) -> EventLogResult:
        try:
            start = _start(after, after_position)
            where = None if filter is None else _filter(filter)
            events, more = await _history(info).log(where, start, first)
        except ValidationError as error:
            return failure(error)  # type: ignore[return-value]
        edges = [
            LoggedEventEdge(cursor=encode_cursor(_CURSOR, str(e.position)), node=LoggedEvent.of(e))
            for e in events
        ]
        return EventLogConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(
        permission_classes=ALLOWED,
        description="Every logged event of a request and of its dispatch record (what khidma's"
        " workers did for it), oldest first, with who (actor, role), where (centre, channel),"
        " when and what (data).",
    )
    async def request_history(
        self, info: strawberry.Info, tracking_number: str
    ) -> RequestHistoryResult:
        try:
            events = await _history(info).request_events(tracking_number)
        except (ValidationError, NotFound) as error:
            return failure(error)  # type: ignore[return-value]
        number = parse_tracking_number(tracking_number)
        return RequestHistory(
            tracking_number=number,
            stream_id=request_id(number),
            events=[LoggedEvent.of(e) for e in events],
        )

    @strawberry.field(
        permission_classes=ALLOWED,
        description="A request rebuilt from its logged events up to log position `position`"
        " or up to the time `at` (recordedAt, inclusive): exactly one of the two.",
    )
    async def request_as_of(
        self,
        info: strawberry.Info,
        tracking_number: str,
        at: datetime | None = None,
        position: int | None = None,
    ) -> RequestStateResult:
        try:
            rebuilt = await _history(info).request_as_of(tracking_number, position=position, at=at)
        except (ValidationError, NotFound) as error:
            return failure(error)  # type: ignore[return-value]
        return RequestState.of(rebuilt)


def _start(after: str | None, after_position: int | None) -> int:
    """The position a page starts after, from a cursor or a plain position (not both)."""
    if after is not None and after_position is not None:
        raise ValidationError("after_position", "give after or afterPosition, not both")
    if after_position is not None:
        if after_position < 0:
            raise ValidationError("after_position", "expected a position ≥ 0")
        return after_position
    if after is None:
        return 0
    parts = decode_cursor(after, 2)
    if parts is None or parts[0] != _CURSOR or not parts[1].isdigit():
        raise ValidationError("after", "not a cursor of the event log")
    return int(parts[1])


def _filter(given: EventLogFilter) -> LogFilter:
    return LogFilter.build(
        stream_id=given.stream_id,
        tracking_number=given.tracking_number,
        topic=given.topic,
        actor_id=given.actor_id,
        centre=given.centre,
        recorded_from=given.recorded_from,
        recorded_to=given.recorded_to,
        prefix="filter.",
    )
