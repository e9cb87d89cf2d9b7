"""What auditors read: the event log by position with filters, a request's events, and a
request rebuilt from its events as of a past position or time.

Everything comes from the hash-chained log (``event_log`` joined to ``events``), never from
projections or snapshots (which nothing chains), and events are decoded by the repository
that loads aggregates, so personal data reads as the rest of khidma reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.errors import ValidationError
from khidma.core.domain.request import ServiceRequest
from khidma.core.domain.text import moment
from khidma.core.domain.tracking import parse_tracking_number, request_id
from khidma.core.events import AggregateRepository, EventStore, PendingEvent, UnknownTopicError

from .log_filter import LogFilter, event_name
from .runner import CommandRunner, NotFound

MAX_PAGE = 200
# Positions a filtered page walks in log order ($3) before it asks the filters' indexes:
# walking finds dense matches at once, the indexes find sparse ones without reading the log.
WINDOW = 4096

_COLUMNS = (
    "p.position, p.chain_hash, e.event_id, e.stream_id, e.version, e.topic, e.data,"
    " e.metadata, e.recorded_at, e.content_hash"
)
# One statement per page. ``near``: the next WINDOW positions in order, each event probed by
# its key (LIMIT 1 keeps the planner from turning it into a join over all events); ``far``,
# run only if ``near`` came up short before the end of the log: the matching events found by
# their indexes, each met with its log row by event_id. Both shapes are fixed (a generic plan
# once hash-joined the whole log into ``far``: 585 ms on 400,000 events instead of 20).
_FILTERED_PAGE = """
WITH near AS MATERIALIZED (
    SELECT l.position, l.event_id, l.chain_hash FROM event_log l
    CROSS JOIN LATERAL (
        SELECT 1 FROM events e WHERE e.event_id = l.event_id AND {where} LIMIT 1
    ) hit
    WHERE l.position > $1 AND l.position <= $1 + $3
    ORDER BY l.position LIMIT $2
), matching AS MATERIALIZED (
    SELECT e.event_id FROM events e
    WHERE {where}
      AND (SELECT count(*) FROM near) < $2
      AND $1 + $3 < (SELECT last_position FROM sequencer_state)
), far AS (
    SELECT l.position, l.event_id, l.chain_hash FROM matching m
    CROSS JOIN LATERAL (
        SELECT position, event_id, chain_hash FROM event_log
        WHERE event_id = m.event_id LIMIT 1
    ) l
    WHERE l.position > $1 + $3
    ORDER BY l.position LIMIT $2
), p AS (
    SELECT * FROM near UNION ALL SELECT * FROM far ORDER BY position LIMIT $2
)
SELECT {columns} FROM p
CROSS JOIN LATERAL (SELECT * FROM events e WHERE e.event_id = p.event_id LIMIT 1) e
ORDER BY p.position
"""
_PAGE = f"""
SELECT {_COLUMNS} FROM (
    SELECT position, event_id, chain_hash FROM event_log
    WHERE position > $1 ORDER BY position LIMIT $2
) p
CROSS JOIN LATERAL (SELECT * FROM events e WHERE e.event_id = p.event_id LIMIT 1) e
ORDER BY p.position
"""
# Streams' events in log order, up to a position or a time; ``head`` is the log's end.
# Unlogged events come back with no position (the caller runs the sequencer and asks again).
_STREAMS = f"""
SELECT {_COLUMNS}, (SELECT last_position FROM sequencer_state) AS head
FROM events e LEFT JOIN event_log p ON p.event_id = e.event_id
WHERE e.stream_id = ANY($1::uuid[])
  AND ($2::bigint IS NULL OR p.position <= $2)
  AND ($3::timestamptz IS NULL OR e.recorded_at <= $3)
ORDER BY p.position NULLS LAST, e.stream_id, e.version
"""
_NOT_DATA = frozenset({"originator_id", "originator_version"})


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One event of the log as an auditor sees it: where, who, when, what, and its hashes."""

    position: int
    event_id: int
    stream_id: UUID
    version: int
    topic: str
    recorded_at: datetime
    metadata: Mapping[str, Any]
    data: dict[str, Any] | None  # None when no class of this process decodes the topic
    content_hash: bytes
    chain_hash: bytes

    @property
    def name(self) -> str:
        return event_name(self.topic)


@dataclass(frozen=True, slots=True)
class RequestAsOf:
    """A request rebuilt from its events up to a bound, and the last event it includes."""

    request: ServiceRequest
    last: LoggedEvent
    events: int


class History:
    """Read-only: the log, a request's events and its past states, for auditors."""

    def __init__(
        self, store: EventStore, repository: AggregateRepository, window: int = WINDOW
    ) -> None:
        self._store = store
        self._repository = repository
        self._window = window

    @classmethod
    def of(cls, runner: CommandRunner) -> History:
        return cls(runner.store, runner.repository)

    async def log(
        self, where: LogFilter | None = None, after: int = 0, limit: int = 50
    ) -> tuple[list[LoggedEvent], bool]:
        """Up to ``limit`` logged events after position ``after`` that pass ``where``, in
        order, and whether more follow."""
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValidationError("after", "expected a position ≥ 0")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise ValidationError("first", f"expected 1 to {MAX_PAGE}")
        sql, args = page_statement(where, after, limit + 1, self._window)
        rows = await self._store.pool.fetch(sql, *args)
        return [logged for logged, _ in await self._decoded(rows[:limit])], len(rows) > limit

    async def request_events(
        self, tracking_number: str, *, position: int | None = None, at: datetime | None = None
    ) -> list[LoggedEvent]:
        """A request's logged events and its dispatch record's (what khidma's workers did for
        it: notifications, payments opened, steps parked), in log order, up to ``position``
        or ``at`` (recorded_at) if given; NotFound if the tracking number names no request."""
        number = parse_tracking_number(tracking_number)
        read = await self._streams([request_id(number), Dispatch.id_for(number)], position, at)
        if not read and not await self._store.version(request_id(number)):
            raise NotFound("request", number)
        return [logged for logged, _ in read]

    async def request_as_of(
        self, tracking_number: str, *, position: int | None = None, at: datetime | None = None
    ) -> RequestAsOf:
        """The request as its events up to ``position`` (of the log) or ``at`` (recorded_at)
        left it: exactly one of the two. NotFound if there is no such request; ValidationError
        naming the bound if the request did not exist yet then."""
        if (position is None) == (at is None):
            raise ValidationError("position", "give exactly one of position and at")
        number = parse_tracking_number(tracking_number)
        read = await self._streams([request_id(number)], position, at)
        if not read:
            if not await self._store.version(request_id(number)):
                raise NotFound("request", number)
            field = "position" if position is not None else "at"
            raise ValidationError(field, "the request had not been submitted yet then")
        aggregate: Any = None
        for logged, event in read:
            if event is None:
                raise UnknownTopicError(logged.topic, logged.stream_id, logged.version)
            aggregate = event.mutate(aggregate)
        if not isinstance(aggregate, ServiceRequest):
            raise NotFound("request", number)
        return RequestAsOf(aggregate, read[-1][0], len(read))

    # -- reading and decoding --------------------------------------------------------------

    async def _streams(
        self, stream_ids: list[UUID], position: int | None, at: datetime | None
    ) -> list[tuple[LoggedEvent, Any]]:
        if position is not None and (
            not isinstance(position, int) or isinstance(position, bool) or position < 1
        ):
            raise ValidationError("position", "expected a position ≥ 1")
        if at is not None:
            at = moment("at", at)
        rows = await self._store.pool.fetch(_STREAMS, stream_ids, position, at)
        if any(r["position"] is None for r in rows):
            await self._store.sequencer.run_once()  # written but not yet logged: log it now
            rows = await self._store.pool.fetch(_STREAMS, stream_ids, position, at)
        if position is not None and rows and position > rows[0]["head"]:
            raise ValidationError("position", f"past the end of the log ({rows[0]['head']})")
        return await self._decoded([r for r in rows if r["position"] is not None])

    async def _decoded(self, rows: Sequence[Any]) -> list[tuple[LoggedEvent, Any]]:
        """Each row as a LoggedEvent with its domain event (None if its topic is unknown).

        The data is taken as plain values before anyone folds the domain events.
        """
        records = [PendingEvent(r["stream_id"], r["version"], r["topic"], r["data"]) for r in rows]
        try:
            decoded: list[Any] = await self._repository.decode(records)
        except UnknownTopicError:
            decoded = [await self._decode_or_none(r) for r in records]
        return [
            (
                LoggedEvent(
                    position=r["position"],
                    event_id=r["event_id"],
                    stream_id=r["stream_id"],
                    version=r["version"],
                    topic=r["topic"],
                    recorded_at=r["recorded_at"],
                    metadata=r["metadata"],
                    data=None if event is None else event_data(event),
                    content_hash=r["content_hash"],
                    chain_hash=r["chain_hash"],
                ),
                event,
            )
            for r, event in zip(rows, decoded, strict=True)
        ]

    async def _decode_or_none(self, record: PendingEvent) -> Any:
        try:
            return (await self._repository.decode([record]))[0]
        except UnknownTopicError:
            return None


def page_statement(
    where: LogFilter | None, after: int, limit: int, window: int = WINDOW
) -> tuple[str, list[Any]]:
    """The one statement of a page of the log, and its arguments."""
    if where is None or where.empty:
        return _PAGE, [after, limit]
    # One stream: its index finds every match at once, so no walk.
    args: list[Any] = [after, limit, 0 if where.selective else window]
    conditions = " AND ".join(where.conditions(args))
    return _FILTERED_PAGE.format(where=conditions, columns=_COLUMNS), args


def event_data(event: Any) -> dict[str, Any]:
    """A decoded event's attributes as plain JSON values (its stream and version left out)."""
    return {k: plain(v) for k, v in vars(event).items() if k not in _NOT_DATA}


def plain(value: Any) -> Any:
    """JSON values: UUIDs, times, decimals and enums as text, tuples and sets as lists."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
