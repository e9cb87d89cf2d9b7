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
    """The rows of one table that a batch touches, keyed by primary key."""

    def __init__(self, table: str, columns: Columns) -> None:
        self.table = table
        self.columns = columns
        self._rows: dict[Hashable, Row] = {}
        self._dirty: set[Hashable] = set()
        self._deleted: set[Hashable] = set()

    async def load(self, conn: asyncpg.Connection, keys: Iterable[Hashable]) -> None:
        """Fetch the stored rows among ``keys`` (those already held are kept as they are)."""
        wanted = [k for k in set(keys) if k not in self._rows]
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
            self._rows[self.columns.key_of(row)] = row

    def get(self, key: Hashable) -> Row | None:
        return self._rows.get(key)

    def put(self, row: Row) -> Row:
        key = self.columns.key_of(row)
        self._rows[key] = row
        self._dirty.add(key)
        self._deleted.discard(key)
        return row

    def hold(self, row: Row) -> None:
        """Keep a row read some other way, unchanged until an event changes it."""
        self._rows[self.columns.key_of(row)] = row

    def touch(self, row: Row) -> None:
        """Mark a row that was changed in place."""
        self._dirty.add(self.columns.key_of(row))

    def remove(self, key: Hashable) -> None:
        self._rows.pop(key, None)
        self._deleted.add(key)
        self._dirty.discard(key)

    def held(self) -> Iterable[Row]:
        return self._rows.values()

    async def flush(self, conn: asyncpg.Connection) -> None:
        """Write every changed row and delete every removed one."""
        await delete(conn, self.table, self.columns, self._deleted)
        await upsert(conn, self.table, self.columns, (self._rows[k] for k in self._dirty))
        self._dirty.clear()
        self._deleted.clear()
