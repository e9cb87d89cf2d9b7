"""Read-your-writes waits: woken by the runners of this process, else looking now and then."""

from __future__ import annotations

import pytest

from khidma.core.events import EventStore
from khidma.projections.positions import Positions

pytestmark = pytest.mark.projection


class Looking(Positions):
    """Counts the waiter's look-ups of the tracking table."""

    looks = 0

    async def position(self, name: str) -> int:
        self.looks += 1
        return await super().position(name)


async def test_a_waiter_looks_again_only_after_a_pause_or_a_move(store: EventStore) -> None:
    positions = Looking(store)
    with pytest.raises(TimeoutError, match="'requests' at position 0"):
        await positions.wait_for("requests", 10, timeout=0.5)
    # Pauses of 10, 20, 40 … ms: a handful of looks. A look that woke its own waiter made
    # thousands.
    assert positions.looks < 20, positions.looks


async def test_a_move_reported_here_wakes_the_waiter(store: EventStore) -> None:
    positions = Looking(store)
    positions.advanced("requests", 12)
    assert await positions.wait_for("requests", 10, timeout=0.5) == 12
    assert positions.looks == 0
