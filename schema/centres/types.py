"""A centre (its status, hours and services) and its queue board (نظام دور)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from khidma.core.domain.centre import Centre as DomainCentre

from ..common.names import Name
from ..common.relay import Node, to_global_id
from ..loaders.boards import BoardRows


@strawberry.type
class OpeningHours:
    day: str
    opens: str
    closes: str


@strawberry.type(description="A ticket category on the board: who waits, and for how long.")
class QueueCategory:
    category: str
    prefix: str
    name: Name
    waiting: int
    served: int
    no_shows: int
    estimated_wait_minutes: int


@strawberry.type(description="Which ticket each counter is serving.")
class CounterCall:
    counter: int
    ticket: str
    category: str
    called_at: datetime


@strawberry.type(description="A centre's queue display board for today.")
class QueueBoard:
    centre: str
    day: date
    open: bool
    counters: int
    categories: list[QueueCategory]
    now_serving: list[CounterCall]
    updated_at: datetime

    @classmethod
    def of(cls, rows: BoardRows) -> QueueBoard:
        b = rows.board
        return cls(
            centre=b["centre"],
            day=b["day"],
            open=b["open"],
            counters=b["counters"],
            updated_at=b["updated_at"],
            categories=[
                QueueCategory(
                    category=c["category"],
                    prefix=c["prefix"],
                    name=Name(ar=c["name_ar"], en=c["name_en"]),
                    waiting=c["waiting"],
                    served=c["served"],
                    no_shows=c["no_shows"],
                    estimated_wait_minutes=round(c["estimated_wait_seconds"] / 60),
                )
                for c in rows.categories
            ],
            now_serving=[
                CounterCall(
                    counter=c["counter"],
                    ticket=c["ticket"],
                    category=c["category"],
                    called_at=c["called_at"],
                )
                for c in rows.counters
            ],
        )


@strawberry.type(description="A citizen service centre (مركز خدمة المواطن).")
class Centre(Node):
    code: str
    name: Name
    governorate: str
    district: Name
    status: str = strawberry.field(description="open, degraded (backup power) or closed")
    power_source: str | None
    status_reason: str | None
    counters: int
    services: list[str]
    direct_agencies: list[str]
    hours: list[OpeningHours]

    @strawberry.field(description="Today's queue board, if the centre opened a queue.")
    async def queue_board(self, info: strawberry.Info) -> QueueBoard | None:
        rows = await info.context.loaders.board.load(self.code)
        return QueueBoard.of(rows) if rows is not None else None

    @classmethod
    def of(cls, centre: DomainCentre) -> Centre:
        return cls(
            id=to_global_id("Centre", centre.code),
            code=centre.code,
            name=Name(ar=centre.name_ar, en=centre.name_en),
            governorate=centre.governorate.value,
            district=Name(ar=centre.district_ar, en=centre.district_en),
            status=centre.status.value,
            power_source=_value(getattr(centre, "power_source", None)),
            status_reason=getattr(centre, "status_reason", None),
            counters=centre.counters,
            services=list(centre.services),
            direct_agencies=list(centre.direct_agencies),
            hours=[OpeningHours(day=d, opens=o, closes=c) for d, (o, c) in centre.hours.items()],
        )


def _value(value: object) -> str | None:
    return getattr(value, "value", None) if value is not None else None
