"""The queue (نظام دور): open, take a ticket, call next, served, no-show, close.

Each answers the centre's board once the ``queue_board`` projection shows the change.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import strawberry

from khidma.core.app import Actor

from ..centres.types import QueueBoard
from ..common.commands import run
from ..common.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from ..loaders.boards import read_boards


@strawberry.type(description="What the queue command did, and the board after it.")
class QueuePayload:
    centre: str
    day: date
    ticket: str | None
    status: str | None
    counter: int | None
    ahead: int | None
    estimated_wait_minutes: int | None
    board: QueueBoard | None


QueueResult = Annotated[
    QueuePayload | ValidationError | InvalidTransition | NotAllowed | NotFound,
    strawberry.union("QueueResult"),
]


async def _answer(info: strawberry.Info, result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    services = info.context.services
    await services.freshness.caught_up(("queue_board",), UUID(result["queue_id"]))
    boards = await read_boards(services.store.pool, [result["centre"]])
    rows = boards.get(result["centre"])
    return QueuePayload(
        centre=result["centre"],
        day=date.fromisoformat(result["day"]),
        ticket=result.get("ticket"),
        status=result.get("status"),
        counter=result.get("counter"),
        ahead=result.get("ahead"),
        estimated_wait_minutes=result.get("estimated_wait_minutes"),
        board=QueueBoard.of(rows) if rows is not None else None,
    )


def _queues(info: strawberry.Info) -> Any:
    return info.context.khidma.queues


@strawberry.type
class QueueMutations:
    @strawberry.mutation(description="Open today's queue at a centre.")
    async def open_queue(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        centre: str | None = None,
        counters: int | None = None,
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).open_queue(
                actor, idempotency_key, centre=centre, counters=counters
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Take a ticket (the app, or a kiosk for a citizen).")
    async def take_ticket(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        category: str,
        centre: str | None = None,
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).take_ticket(
                actor, idempotency_key, category=category, centre=centre
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation(description="Call the next ticket to a counter.")
    async def call_next(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        counter: int,
        categories: list[str] | None = None,
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).call_next(
                actor, idempotency_key, counter=counter, categories=categories
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def mark_served(
        self,
        info: strawberry.Info,
        idempotency_key: str,
        ticket: str,
        counter: int | None = None,
        tracking_numbers: list[str] | None = None,
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).mark_served(
                actor, idempotency_key, ticket=ticket, counter=counter,
                tracking_numbers=tracking_numbers or (),
            )  # fmt: skip

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def mark_no_show(
        self, info: strawberry.Info, idempotency_key: str, ticket: str, counter: int | None = None
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).mark_no_show(
                actor, idempotency_key, ticket=ticket, counter=counter
            )

        return await _answer(info, await run(info, call))

    @strawberry.mutation
    async def close_queue(
        self, info: strawberry.Info, idempotency_key: str, centre: str | None = None
    ) -> QueueResult:
        async def call(actor: Actor) -> dict[str, Any]:
            return await _queues(info).close_queue(actor, idempotency_key, centre=centre)

        return await _answer(info, await run(info, call))
