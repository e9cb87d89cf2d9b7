"""What the repository asks of a mapper that seals personal data (core/privacy implements it).

Mapping is synchronous and keys come from the database, so the repository lets such a mapper
fetch the keys a batch needs before mapping it, to write and to read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Mapper

from .records import PendingEvent


class Sealing(Protocol):
    """A Mapper that needs keys fetched before it maps."""

    @property
    def mapper(self) -> Mapper[UUID]: ...

    async def before_save(self, writes: Sequence[tuple[BaseAggregate[UUID], bool]]) -> None:
        """Before mapping these aggregates' pending events (and a snapshot, when True)."""

    async def before_load(self, records: Iterable[PendingEvent]) -> None:
        """Before decoding these stored events or snapshots."""

    def watch(self, callback: Callable[[UUID | None], None]) -> None:
        """Call ``callback(subject)`` when a subject is forgotten (None: maybe any)."""
