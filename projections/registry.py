"""Every read model khidma keeps, by name."""

from __future__ import annotations

from collections.abc import Sequence

from .agency_backlog import AgencyBacklogProjection
from .centre_daily_stats import CentreDailyStatsProjection
from .projection import Projection
from .queue_board import QueueBoardProjection
from .request_timeline import RequestTimelineProjection
from .requests import RequestsProjection
from .sla import SlaProjection

_ALL: tuple[type[Projection], ...] = (
    RequestsProjection,
    RequestTimelineProjection,
    CentreDailyStatsProjection,
    AgencyBacklogProjection,
    SlaProjection,
    QueueBoardProjection,
)
NAMES = tuple(p.name for p in _ALL)


class UnknownProjectionError(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no projection {name!r}; known: {', '.join(NAMES)}")


def projections(names: Sequence[str] = ()) -> list[Projection]:
    """Fresh instances of the named projections (all of them when ``names`` is empty)."""
    by_name = {p.name: p for p in _ALL}
    for name in names:
        if name not in by_name:
            raise UnknownProjectionError(name)
    return [by_name[name]() for name in (names or NAMES)]
