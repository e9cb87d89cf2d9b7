"""Read-side look-ups for the API: every centre, the catalog, staff and citizens, to read.

Centres have no list of their own: their ids are learnt from the log (``Centre.Registered``
events), incrementally and at most every ``refresh`` seconds, and the aggregates come from
the repository's shared, read-only copies (reused while no newer event exists).
"""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

from eventsourcing.utils import get_topic

from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre
from khidma.core.domain.citizen import Citizen
from khidma.core.domain.staff import Staff

from . import lookups
from .runner import CommandRunner

_REGISTERED = get_topic(Centre.Registered)


class Directory:
    def __init__(self, runner: CommandRunner, refresh: float = 2.0) -> None:
        self._runner = runner
        self._refresh = refresh
        self._position = 0
        self._centre_ids: dict[UUID, None] = {}
        self._checked = -refresh
        self._lock = asyncio.Lock()

    async def centres(self) -> list[Centre]:
        """Every registered centre, by code."""
        ids = await self._known_centres()
        found = await self._runner.repository.read_many(ids)
        centres = [c for c in found.values() if isinstance(c, Centre)]
        return sorted(centres, key=lambda c: c.code)

    async def centres_by_code(self, codes: list[str]) -> dict[str, Centre]:
        ids = {Centre.id_for(code): code for code in codes}
        found = await self._runner.repository.read_many(list(ids))
        return {ids[i]: c for i, c in found.items() if isinstance(c, Centre)}

    async def catalog(self) -> Catalog | None:
        found = await self._runner.repository.read_many([lookups.CATALOG_ID])
        catalog = found.get(lookups.CATALOG_ID)
        return catalog if isinstance(catalog, Catalog) else None

    async def citizen(self, citizen_id: UUID) -> Citizen | None:
        """The citizen's account; None if there is none, or if they were forgotten."""
        found = (await self._runner.repository.read_many([citizen_id])).get(citizen_id)
        return found if isinstance(found, Citizen) and found.forgotten_at is None else None

    async def staff(self, staff_id: UUID) -> Staff | None:
        found = (await self._runner.repository.read_many([staff_id])).get(staff_id)
        return found if isinstance(found, Staff) else None

    async def _known_centres(self) -> list[UUID]:
        async with self._lock:
            if time.monotonic() - self._checked >= self._refresh:
                store = self._runner.store
                while True:
                    events = await store.read_all(self._position, 1000, [_REGISTERED])
                    for event in events:
                        self._centre_ids[event.stream_id] = None
                        assert event.position is not None
                        self._position = event.position
                    if len(events) < 1000:
                        break
                self._checked = time.monotonic()
            return list(self._centre_ids)
