"""requestUpdated(trackingNumber) and queueBoard(centre)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import strawberry

from khidma.core.domain.errors import ValidationError
from khidma.core.domain.tracking import parse_tracking_number, request_id

from ..centres.types import QueueBoard
from ..loaders.boards import read_boards
from ..permissions import scope
from ..permissions.rules import RoleMayRun
from ..requests.types import Request

_UNSET = object()
_ROW = "SELECT * FROM requests WHERE tracking_number = $1"


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
            last = row["version"] if row is not None else None
            yield Request.of(row) if row is not None else None
            while True:
                position = await _drain(changes)
                if position:
                    await services.freshness.positions.wait_for("requests", position)
                row = await pool.fetchrow(_ROW, number)
                if row is None or row["version"] == last:
                    continue
                if not scope.can_see(actor, row):
                    return
                last = row["version"]
                yield Request.of(row)

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
