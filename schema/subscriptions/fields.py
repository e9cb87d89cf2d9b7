"""requestUpdated(trackingNumber) and queueBoard(centre)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import asyncpg
import strawberry

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.tracking import parse_tracking_number, request_id

from ..centres.types import QueueBoard
from ..loaders.boards import read_boards
from ..loaders.requests import WITH_TIMELINE, timeline
from ..permissions import scope
from ..permissions.rules import RoleMayRun
from ..requests.types import VIEWS, Request

_UNSET = object()
_ROW = WITH_TIMELINE[0]  # the row and its timeline in one statement: as of the same moment


def _shown(row: asyncpg.Record) -> tuple[int, int]:
    """What an update shows: the row's version and how much of its timeline. The timeline can
    lag the row: an update is due again once it catches up, though the row has not moved."""
    return row["version"], len(timeline(row))


async def _drain(queue: asyncio.Queue[int]) -> int:
    """Wait for a change; several queued at once count as one (the latest position)."""
    position = await queue.get()
    while not queue.empty():
        position = max(position, queue.get_nowait())
    return position


@strawberry.type
class Subscription:
    @strawberry.subscription(
        permission_classes=[RoleMayRun],
        description="The request now, then again each time it changes (its status, timeline).",
    )
    async def request_updated(
        self, info: strawberry.Info, tracking_number: str
    ) -> AsyncGenerator[Request | None, None]:
        services = info.context.services
        actor = info.context.actor
        try:
            number = parse_tracking_number(tracking_number)
        except ValidationError:
            yield None
            return
        pool = services.store.pool
        async with services.hub.request(request_id(number)) as changes:
            row = await pool.fetchrow(_ROW, number)
            if row is not None and not scope.can_see(actor, row):
                yield None
                return
            last = _shown(row) if row is not None else None
            yield Request.of(row, timeline(row)) if row is not None else None
            while True:
                position = await _drain(changes)
                # The hub wakes on the timeline's notice; the row must be as far on.
                await services.freshness.reached(position, VIEWS)
                row = await pool.fetchrow(_ROW, number)
                if row is None or (shown := _shown(row)) == last:
                    continue
                if not scope.can_see(actor, row):
                    return
                last = shown
                info.context.read_anew()  # the connection's loaders hold what it read before
                yield Request.of(row, timeline(row))

    @strawberry.subscription(
        permission_classes=[RoleMayRun],
        description="A centre's queue display board now, then after each change.",
    )
    async def queue_board(
        self, info: strawberry.Info, centre: str
    ) -> AsyncGenerator[QueueBoard | None, None]:
        services = info.context.services
        code = centre.strip().upper()
        async with services.hub.board(code) as changes:
            rows = (await read_boards(services.store.pool, [code])).get(code)
            last: object = _UNSET
            while True:
                board = QueueBoard.of(rows) if rows is not None else None
                if board != last:
                    last = board
                    yield board
                rows = await changes.get()
                while not changes.empty():  # several notices at once: the latest board
                    rows = changes.get_nowait()
