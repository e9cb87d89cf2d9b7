"""``request_timeline``: one row per request event in plain words, Arabic and English.

The citizen's tracking page reads it by request id (derived from the tracking number); auditors
read who did it (the actor's role, the centre) beside the words. Service names come from the
catalog's events, so the words say "بيان ولادة", not a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import asyncpg

from .decoding import Decoded
from .projection import Projection, Tables
from .rows import Columns, upsert
from .words import Words, describe

_SERVICES = Columns({"code": "text", "name_ar": "text", "name_en": "text"})
_COLUMNS = (
    "request_id",
    "version",
    "position",
    "at",
    "event",
    "text_ar",
    "text_en",
    "actor_role",
    "centre",
)


class RequestTimelineProjection(Projection):
    name = "request_timeline"
    version = 1
    families = frozenset({"request", "catalog"})
    ddl: ClassVar[dict[str, str]] = {
        "request_timeline": """
            CREATE TABLE {request_timeline} (
                request_id uuid NOT NULL, version bigint NOT NULL, position bigint NOT NULL,
                at timestamptz NOT NULL, event text NOT NULL, text_ar text NOT NULL,
                text_en text NOT NULL, actor_role text, centre text,
                PRIMARY KEY (request_id, version)
            );
            CREATE INDEX ON {request_timeline} (position)
        """,
        "request_timeline_services": """
            CREATE TABLE {request_timeline_services} (
                code text PRIMARY KEY, name_ar text NOT NULL, name_en text NOT NULL
            )
        """,
    }

    def __init__(self) -> None:
        self._services: dict[str, Words] = {}

    async def prepare(self, conn: asyncpg.Connection, tables: Tables) -> None:
        rows = await conn.fetch(f"SELECT * FROM {tables['request_timeline_services']}")
        self._services = {r["code"]: (r["name_ar"], r["name_en"]) for r in rows}

    async def apply(
        self, conn: asyncpg.Connection, events: Sequence[Decoded], tables: Tables
    ) -> None:
        records: list[tuple[object, ...]] = []
        services: dict[str, dict[str, str]] = {}
        for event in events:
            s = event.state
            if event.family == "catalog":
                if event.name in ("ServiceAdded", "ServiceUpdated"):
                    self._services[s["code"]] = (s["name_ar"], s["name_en"])
                    services[s["code"]] = {
                        "code": s["code"],
                        "name_ar": s["name_ar"],
                        "name_en": s["name_en"],
                    }
                continue
            ar, en = describe(event.name, s, self._services)
            meta = event.metadata  # a rebuild reads only these two: see decoding.ROW_COLUMNS
            records.append(
                (
                    event.stream_id,
                    event.version,
                    event.position,
                    event.at,
                    event.name,
                    ar,
                    en,
                    meta.get("actor_role"),
                    meta.get("centre"),
                )
            )
        await upsert(conn, tables["request_timeline_services"], _SERVICES, services.values())
        if records:
            await conn.copy_records_to_table(
                tables["request_timeline"], records=records, columns=_COLUMNS
            )
