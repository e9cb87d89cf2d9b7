"""Rows a batch changes: loaded once, folded in memory, written back in one statement each.

A batch of thousands of events touches each table with a handful of statements instead of one
per event; that is what lets a rebuild run near the speed of reading the log.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from operator import itemgetter
from typing import Any

import asyncpg

Row = dict[str, Any]
COPY_FROM = 200  # rows from which an upsert goes through COPY instead of array parameters


class Columns:
    """A table's columns and their SQL types; the first ``keys`` columns are its primary key."""

    def __init__(self, types: dict[str, str], keys: int = 1) -> None:
        self.types = types
        self.keys = keys
        self.names = list(types)
        self.key_names = self.names[:keys]
        self.key_of: Callable[[Row], Hashable] = itemgetter(*self.key_names)


def _unnest(columns: Columns, names: list[str], offset: int = 1) -> str:
    params = ", ".join(
        f"${i}::{columns.types[name]}[]" for i, name in enumerate(names, start=offset)
    )
    return f"unnest({params}) AS k({', '.join(names)})"


async def upsert(
    conn: asyncpg.Connection, table: str, columns: Columns, rows: Iterable[Row]
) -> None:
    """Insert ``rows``, replacing those with the same key (inside the caller's transaction)."""
    rows = list(rows)
    if not rows:
        return
    names = columns.names
    keys = ", ".join(columns.key_names)
    others = [n for n in names if n not in columns.key_names]
    action = (
        "DO UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in others)
        if others
        else "DO NOTHING"
    )
    listed = ", ".join(names)
    if len(rows) < COPY_FROM:
        values = [list(column) for column in zip(*map(itemgetter(*names), rows), strict=True)]
        await conn.execute(
            f"INSERT INTO {table} ({listed}) SELECT * FROM {_unnest(columns, names)}"
            f" ON CONFLICT ({keys}) {action}",
            *values,
        )
        return
    # Many rows: binary COPY into a scratch table, then one INSERT … ON CONFLICT from it.
    stage = f"stage_{table}"
    await conn.execute(f"CREATE TEMP TABLE {stage} (LIKE {table}) ON COMMIT DROP")
    await conn.copy_records_to_table(
        stage, records=list(map(itemgetter(*names), rows)), columns=names
    )
    await conn.execute(
        f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {stage}"
        f" ON CONFLICT ({keys}) {action}; DROP TABLE {stage}"
    )


async def delete(
    conn: asyncpg.Connection, table: str, columns: Columns, keys: Iterable[Hashable]
) -> None:
    keys = list(keys)
    if not keys:
        return
    names = columns.key_names
    if columns.keys == 1:
        key = names[0]
        await conn.execute(
            f"DELETE FROM {table} WHERE {key} = ANY($1::{columns.types[key]}[])", keys
        )
        return
    values = [list(col) for col in zip(*keys, strict=True)]
    match = " AND ".join(f"t.{n} = k.{n}" for n in names)
    await conn.execute(
        f"DELETE FROM {table} t USING {_unnest(columns, names)} WHERE {match}", *values
    )


class RowSet:
    """The rows of one table that a batch touches, keyed by primary key.

    With ``keep`` (a rebuild) the rows stay held across batches, up to ``keep`` of them, and are
    written back only when the least recently changed are let go and at :meth:`flush_all`: a
    request's row is then written about once instead of once per batch that changes it, and a
    row never stored goes in by COPY. The rows still held are the only ones not yet in the
    table, so a row let go and needed again is read back from the table.
    """

    def __init__(self, table: str, columns: Columns, keep: int = 0) -> None:
        self.table = table
        self.columns = columns
        self.keep = keep
        self._rows: dict[Hashable, Row] = {}
        self._dirty: set[Hashable] = set()
        self._deleted: set[Hashable] = set()
        self._stored: set[Hashable] = set()  # held rows the table has (loaded or written)
        self._gone: dict[Hashable, None] = {}  # removed while held: known not to be stored

    async def load(self, conn: asyncpg.Connection, keys: Iterable[Hashable]) -> None:
        """Fetch the stored rows among ``keys`` (those already held are kept as they are)."""
        held = self._rows
        unique = keys if isinstance(keys, set | frozenset) else set(keys)
        # Set differences with dicts: a rebuild holds nearly every key it is asked for.
        wanted = list(unique.difference(held).difference(self._gone))
        if not wanted:
            return
        names = self.columns.key_names
        if self.columns.keys == 1:  # = ANY: an index scan whatever the number of keys
            key = names[0]
            rows = await conn.fetch(
                f"SELECT * FROM {self.table} WHERE {key} = ANY($1::{self.columns.types[key]}[])",
                wanted,
            )
        else:
            values = [list(col) for col in zip(*wanted, strict=True)]  # type: ignore[arg-type]
            match = " AND ".join(f"t.{n} = k.{n}" for n in names)
            rows = await conn.fetch(
                f"SELECT t.* FROM {self.table} t JOIN {_unnest(self.columns, names)} ON {match}",
                *values,
            )
        for record in rows:
            row = dict(record)
            key = self.columns.key_of(row)
            held[key] = row
            if self.keep:
                self._stored.add(key)

    def get(self, key: Hashable) -> Row | None:
        return self._rows.get(key)

    def put(self, row: Row) -> Row:
        key = self.columns.key_of(row)
        if self.keep:
            self._rows.pop(key, None)  # the most recently changed go last
            self._gone.pop(key, None)
            if key in self._deleted:  # removed, but still in the table: replaced there
                self._stored.add(key)
        self._rows[key] = row
        self._dirty.add(key)
        self._deleted.discard(key)
        return row

    def hold(self, row: Row) -> None:
        """Keep a row read some other way, unchanged until an event changes it."""
        key = self.columns.key_of(row)
        self._rows[key] = row
        if self.keep:
            self._stored.add(key)

    def change(self, key: Hashable) -> Row | None:
        """The held row of ``key``, marked as changed (the caller changes it in place), or None.

        One call where a fold would ``get`` then ``touch``: it is made for every event.
        """
        rows = self._rows
        if self.keep:
            row = rows.pop(key, None)
            if row is None:
                return None
            rows[key] = row  # the most recently changed go last
        else:
            row = rows.get(key)
            if row is None:
                return None
        self._dirty.add(key)
        return row

    def touch(self, row: Row) -> None:
        """Mark a row that was changed in place."""
        key = self.columns.key_of(row)
        if self.keep:
            self._rows[key] = self._rows.pop(key)
        self._dirty.add(key)

    def remove(self, key: Hashable) -> None:
        self._rows.pop(key, None)
        self._dirty.discard(key)
        if not self.keep:
            self._deleted.add(key)
            return
        if key in self._stored:
            self._stored.discard(key)
            self._deleted.add(key)
        self._gone[key] = None
        if len(self._gone) > self.keep:  # forget the oldest: they are read (as absent) again
            for old in list(self._gone)[: len(self._gone) - self.keep // 2]:
                del self._gone[old]

    def held(self) -> Iterable[Row]:
        return self._rows.values()

    async def flush(self, conn: asyncpg.Connection) -> None:
        """Write every changed row and delete every removed one (with ``keep``: the overflow)."""
        await delete(conn, self.table, self.columns, self._deleted)
        self._deleted.clear()
        if not self.keep:
            await upsert(conn, self.table, self.columns, (self._rows[k] for k in self._dirty))
            self._dirty.clear()
            return
        if len(self._rows) > self.keep:
            # Let go of the least recently changed quarter at once: fewer, larger writes.
            excess = len(self._rows) - self.keep + self.keep // 4
            await self._write(conn, [k for k, _ in zip(self._rows, range(excess), strict=False)])

    async def flush_all(self, conn: asyncpg.Connection) -> None:
        """Write back every row still held (the end of a rebuild)."""
        await delete(conn, self.table, self.columns, self._deleted)
        self._deleted.clear()
        await self._write(conn, list(self._rows))
        self._gone.clear()

    async def _write(self, conn: asyncpg.Connection, keys: list[Hashable]) -> None:
        """Write the rows of ``keys`` that changed, and stop holding them."""
        names = self.columns.names
        values = itemgetter(*names)
        rows, dirty, stored = self._rows, self._dirty, self._stored
        fresh: list[Any] = []
        changed: list[Row] = []
        for key in keys:
            row = rows.pop(key)
            if key in dirty:
                dirty.discard(key)
                if key in stored:
                    changed.append(row)
                else:
                    fresh.append(values(row))
            stored.discard(key)
        if fresh:
            await conn.copy_records_to_table(self.table, records=fresh, columns=names)
        await upsert(conn, self.table, self.columns, changed)
