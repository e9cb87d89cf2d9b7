"""What a projection is: its name, the version of its tables, what it follows, how it applies."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar

import asyncpg

from .decoding import Decoded, Kind
from .rows import Columns, RowSet

NEXT = "_next"


class Tables(Mapping[str, str]):
    """A projection's tables by their logical name: the live ones, or the ones being rebuilt."""

    def __init__(self, logical: Sequence[str], suffix: str = "") -> None:
        self.suffix = suffix
        self._names = {name: f"{name}{suffix}" for name in logical}

    def __getitem__(self, key: str) -> str:
        return self._names[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class Projection(ABC):
    """A read model: tables it owns, built only from the events of ``families`` it handles.

    ``apply`` runs inside the runner's transaction, with the batch's tracking position; it must
    be a pure function of the events (no clocks), so that a rebuild equals the incremental
    result. Bump ``version`` when ``ddl`` changes: the runner then rebuilds the tables. It must
    not change the events it is given: the projections of a rebuild, and the runners of a
    process (feed.py), share them.

    A rebuild may keep rows in memory across batches (:meth:`retain`): the RowSets of
    :meth:`rows` then hold rows not yet in their tables until :meth:`finish`, so anything that
    reads those tables with SQL (an aggregate over them) belongs in ``finish`` when ``keep``.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    families: ClassVar[frozenset[str]]
    # Logical table name -> DDL, with ``{table}`` placeholders for each of the projection's tables.
    ddl: ClassVar[dict[str, str]]
    # Rows per table a rebuild keeps in memory across batches (0: each batch loads and writes).
    keep: int = 0
    _kept: dict[str, RowSet] | None = None

    def tables(self, suffix: str = "") -> Tables:
        return Tables(list(self.ddl), suffix)

    def wants(self, kind: Kind) -> bool:
        return kind.family in self.families

    def create_statements(self, tables: Tables, *, indexes: bool = True) -> list[str]:
        """The DDL for ``tables``; without ``indexes``, only the tables (rebuilds add them last)."""
        statements = [
            s.strip()
            for template in self.ddl.values()
            for s in template.format_map(tables).split(";")
        ]
        return [s for s in statements if s and (indexes or not _is_index(s))]

    def index_statements(self, tables: Tables) -> list[str]:
        return [s for s in self.create_statements(tables) if _is_index(s)]

    def retain(self, rows: int) -> None:
        """Keep up to ``rows`` rows per table across batches (a rebuild); 0 to stop keeping."""
        self.keep = rows
        self._kept = {}

    def rows(self, tables: Tables, logical: str, columns: Columns) -> RowSet:
        """This batch's rows of table ``logical``: fresh, or those kept from earlier batches."""
        table = tables[logical]
        if not self.keep:
            return RowSet(table, columns)
        if self._kept is None:
            self._kept = {}
        kept = self._kept.get(table)
        if kept is None:
            kept = self._kept[table] = RowSet(table, columns, self.keep)
        return kept

    async def finish(self, conn: asyncpg.Connection, tables: Tables) -> None:
        """Write back every row kept across batches (the end of a rebuild's pass over the log)."""
        for kept in (self._kept or {}).values():
            await kept.flush_all(conn)
        self._kept = {}

    async def prepare(self, conn: asyncpg.Connection, tables: Tables) -> None:  # noqa: B027
        """Load what ``apply`` needs besides the batch (once per batch, in its transaction)."""

    @abstractmethod
    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        """Apply a batch of events, in position order, to ``tables``."""


class ProjectionError(Exception):
    """A projection cannot apply an event: it stops there; the others go on."""

    def __init__(self, projection: str, event: Decoded, error: BaseException) -> None:
        super().__init__(
            f"projection {projection!r} cannot apply {event.family}.{event.name} at position "
            f"{event.position} (stream {event.stream_id}, version {event.version}, "
            f"topic {event.topic}): {type(error).__name__}: {error}"
        )
        self.projection = projection
        self.position = event.position
        self.topic = event.topic


def _is_index(statement: str) -> bool:
    return statement.upper().startswith(("CREATE INDEX", "CREATE UNIQUE INDEX"))
