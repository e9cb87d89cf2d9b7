"""``queue_board``: each centre's queue (نظام دور) now: waiting per category, serving per counter.

The board follows each centre's latest queue (a queue is one centre's day). The estimated wait
per category is the day's average service time there (else the centre's, else five minutes)
times the tickets waiting, shared among the counters that have called that category; it is a
function of the events alone, so a rebuild gives the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from khidma.core.domain.queue import DEFAULT_SERVICE_TIME

from .decoding import Decoded
from .projection import Projection, Tables
from .rows import Columns, Row, RowSet

BOARDS = Columns(
    {
        "centre": "text",
        "queue_id": "uuid",
        "day": "date",
        "counters": "integer",
        "open": "boolean",
        "updated_at": "timestamptz",
    }
)
CATEGORIES = Columns(
    {
        "centre": "text",
        "category": "text",
        "prefix": "text",
        "name_ar": "text",
        "name_en": "text",
        "waiting": "integer",
        "served": "integer",
        "no_shows": "integer",
        "service_seconds": "float8",
        "counters_seen": "text",  # the counters that called it, "1,4"
        "estimated_wait_seconds": "integer",
    },
    keys=2,
)
COUNTERS = Columns(
    {
        "centre": "text",
        "counter": "integer",
        "ticket": "text",
        "category": "text",
        "clerk_id": "uuid",
        "called_at": "timestamptz",
    },
    keys=2,
)


class QueueBoardProjection(Projection):
    name = "queue_board"
    version = 1
    families = frozenset({"queue"})
    ddl: ClassVar[dict[str, str]] = {
        "queue_board": """
            CREATE TABLE {queue_board} (
                centre text PRIMARY KEY, queue_id uuid NOT NULL, day date NOT NULL,
                counters integer NOT NULL, open boolean NOT NULL, updated_at timestamptz NOT NULL
            );
            CREATE UNIQUE INDEX ON {queue_board} (queue_id)
        """,
        "queue_board_categories": """
            CREATE TABLE {queue_board_categories} (
                centre text NOT NULL, category text NOT NULL, prefix text NOT NULL,
                name_ar text NOT NULL, name_en text NOT NULL, waiting integer NOT NULL,
                served integer NOT NULL, no_shows integer NOT NULL,
                service_seconds float8 NOT NULL, counters_seen text NOT NULL,
                estimated_wait_seconds integer NOT NULL,
                PRIMARY KEY (centre, category)
            )
        """,
        "queue_board_counters": """
            CREATE TABLE {queue_board_counters} (
                centre text NOT NULL, counter integer NOT NULL, ticket text NOT NULL,
                category text NOT NULL, clerk_id uuid NOT NULL, called_at timestamptz NOT NULL,
                PRIMARY KEY (centre, counter)
            )
        """,
    }

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        board = _Board(tables)
        await board.load(conn, events)
        for event in events:
            board.apply(event)
        await board.flush(conn)


class _Board:
    """The boards a batch touches, with their categories and counters."""

    def __init__(self, tables: Tables) -> None:
        self.boards = RowSet(tables["queue_board"], BOARDS)
        self.categories = RowSet(tables["queue_board_categories"], CATEGORIES)
        self.counters = RowSet(tables["queue_board_counters"], COUNTERS)
        self.by_queue: dict[object, str] = {}
        # Each centre's categories, in the order held: every queue event reads them all.
        self._of_centre: dict[str, list[Row]] = {}

    async def load(self, conn: asyncpg.Connection, events: Sequence[Decoded]) -> None:
        queues = list({e.stream_id for e in events})
        opened = {e.state["centre_code"] for e in events if e.name == "Opened"}
        rows = await conn.fetch(
            f"SELECT * FROM {self.boards.table} WHERE queue_id = ANY($1::uuid[])"
            " OR centre = ANY($2::text[])",
            queues,
            list(opened),
        )
        centres = list({r["centre"] for r in rows} | opened)
        for r in rows:
            self.boards.hold(dict(r))
            self.by_queue[r["queue_id"]] = r["centre"]
        for rowset in (self.categories, self.counters):
            for r in await conn.fetch(
                f"SELECT * FROM {rowset.table} WHERE centre = ANY($1::text[])", centres
            ):
                rowset.hold(dict(r))

    def apply(self, event: Decoded) -> None:
        s = event.state
        if event.name == "Opened":
            self._open(event)
            return
        centre = self.by_queue.get(event.stream_id)
        if centre is None:
            return  # an earlier day's queue: the board shows the centre's latest
        board = self.boards.get(centre)
        assert board is not None
        board["updated_at"] = event.at
        self.boards.touch(board)
        if event.name == "TicketTaken":
            self._category(centre, s["category"], waiting=1)
        elif event.name == "TicketCalled":
            category = self._category_of(centre, s["ticket"])
            row = self._category(category[0], category[1], waiting=-1)
            seen = _counters(row["counters_seen"])
            if s["counter"] not in seen:
                row["counters_seen"] = ",".join(map(str, sorted([*seen, s["counter"]])))
            self.counters.put(
                {
                    "centre": centre,
                    "counter": s["counter"],
                    "ticket": s["ticket"],
                    "category": category[1],
                    "clerk_id": s["clerk_id"],
                    "called_at": event.at,
                }
            )
        elif event.name in ("TicketServed", "NoShowRecorded"):
            serving = self.counters.get((centre, s["counter"]))
            if serving is None:
                raise LookupError(f"counter {s['counter']} at {centre} was serving nobody")
            self.counters.remove((centre, s["counter"]))
            if event.name == "TicketServed":
                seconds = (event.at - serving["called_at"]).total_seconds()
                self._category(centre, serving["category"], served=1, seconds=seconds)
            else:
                self._category(centre, serving["category"], no_shows=1)
        elif event.name == "Closed":
            board["open"] = False
            for number in s["not_served"]:
                centre_, code = self._category_of(centre, number)
                self._category(centre_, code, waiting=-1)
        elif event.name != "TicketRecalled":
            raise LookupError(f"no rule for queue event {event.name!r}")
        self._estimate(centre)

    def _open(self, event: Decoded) -> None:
        s = event.state
        centre = s["centre_code"]
        for row in list(self.categories.held()):
            if row["centre"] == centre:
                self.categories.remove((centre, row["category"]))
        for row in list(self.counters.held()):
            if row["centre"] == centre:
                self.counters.remove((centre, row["counter"]))
        self.boards.put(
            {
                "centre": centre,
                "queue_id": event.stream_id,
                "day": s["day"],
                "counters": s["counters"],
                "open": True,
                "updated_at": event.at,
            }
        )
        self.by_queue[event.stream_id] = centre
        self._of_centre.pop(centre, None)
        for c in s["categories"]:
            self.categories.put(
                {
                    "centre": centre,
                    "category": c["code"],
                    "prefix": c["prefix"],
                    "name_ar": c["name_ar"],
                    "name_en": c["name_en"],
                    "waiting": 0,
                    "served": 0,
                    "no_shows": 0,
                    "service_seconds": 0.0,
                    "counters_seen": "",
                    "estimated_wait_seconds": 0,
                }
            )

    def _category_of(self, centre: str, ticket: str) -> tuple[str, str]:
        prefix = ticket.rpartition("-")[0]
        for row in self._categories_of(centre):
            if row["prefix"] == prefix:
                return centre, row["category"]
        raise LookupError(f"ticket {ticket} matches no category at {centre}")

    def _category(
        self,
        centre: str,
        category: str,
        *,
        waiting: int = 0,
        served: int = 0,
        no_shows: int = 0,
        seconds: float = 0.0,
    ) -> Row:
        row = self.categories.get((centre, category))
        if row is None:
            raise LookupError(f"no category {category!r} in {centre}'s queue")
        row["waiting"] += waiting
        row["served"] += served
        row["no_shows"] += no_shows
        row["service_seconds"] += seconds
        self.categories.touch(row)
        return row

    def _categories_of(self, centre: str) -> list[Row]:
        rows = self._of_centre.get(centre)
        if rows is None:
            held = self.categories.held()
            rows = self._of_centre[centre] = [r for r in held if r["centre"] == centre]
        return rows

    def _estimate(self, centre: str) -> None:
        rows = self._categories_of(centre)
        served = sum(r["served"] for r in rows)
        overall = (
            sum(r["service_seconds"] for r in rows) / served
            if served
            else DEFAULT_SERVICE_TIME.total_seconds()
        )
        for row in rows:
            average = row["service_seconds"] / row["served"] if row["served"] else overall
            seen = row["counters_seen"]  # "1,4": as many counters as commas and one
            counters = seen.count(",") + 1 if seen else 1
            estimate = round(average * row["waiting"] / counters)
            if estimate != row["estimated_wait_seconds"]:
                row["estimated_wait_seconds"] = estimate
                self.categories.touch(row)

    async def flush(self, conn: asyncpg.Connection) -> None:
        for rowset in (self.boards, self.categories, self.counters):
            await rowset.flush(conn)


def _counters(seen: str) -> list[int]:
    return [int(c) for c in seen.split(",") if c]
