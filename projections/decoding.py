"""Events as projections see them: the aggregate family, the event's name and its decoded state.

Decoding skips eventsourcing's domain-event objects: the state is parsed once and upcast with
the event class's own ``upcast_vN_vN+1`` methods, as the Mapper does. Values are decoded from
the transcoder's tagged JSON (``{"_type_": "uuid_hex", "_data_": …}``) only when a projection
reads them: most of a submission (its form) is never looked at, and decoding it would cost
more than everything else a projection does with the event.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import orjson
from asyncpg.pgproto.pgproto import UUID as PgUUID
from eventsourcing.utils import TopicError, resolve_topic

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre
from khidma.core.domain.queue import Queue
from khidma.core.domain.request import ServiceRequest
from khidma.core.events import RecordedEvent

# The aggregates projections follow, by the short name they use for them.
FAMILIES: dict[str, type] = {
    "request": ServiceRequest,
    "queue": Queue,
    "calendar": WorkingCalendar,
    "centre": Centre,
    "catalog": Catalog,
}


# The metadata projections read (who did it: request_timeline), text values only. Every event
# a projection sees carries these keys and no others, whichever way it was read, so that the
# rebuild (for which the server takes them out of the log) and the live runner see the same
# events. To read another key, add it here.
METADATA = ("actor_role", "centre")

# What :meth:`Decoder.decode_row` reads, in order, from the log joined to its events: what a
# RecordedEvent holds but its event id, with only the METADATA. A rebuild reads a million of
# these; RecordedEvent objects, the jsonb codec's call per row and parsing the metadata cost as
# much as parsing the state. The moment it was recorded comes as ISO text in UTC (whatever the
# session's zone and date style): fromisoformat makes the same datetime as asyncpg's codec (a
# timedelta built with keywords, then added to its epoch) in a quarter of the instructions.
ROW_COLUMNS = (
    "l.position, e.stream_id, e.version, e.topic, e.data,"
    """ to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), """
    + ", ".join(f"e.metadata->>'{key}'" for key in METADATA)
)


def _row_metadata(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(METADATA, row[6:], strict=True))


def recorded_from_row(row: Sequence[Any]) -> RecordedEvent:
    """A row of :data:`ROW_COLUMNS` as a RecordedEvent (without its event id, not read)."""
    position, stream_id, version, topic, data, recorded = row[:6]
    at = datetime.fromisoformat(recorded)
    return RecordedEvent(position, 0, stream_id, version, topic, data, _row_metadata(row), at)


@dataclass(frozen=True, slots=True)
class Kind:
    """What a topic is: ``("request", "Submitted")``, and how to bring its state up to date."""

    family: str
    name: str
    upcast: Callable[[dict[str, Any]], None] | None


@dataclass(slots=True)  # not frozen: that makes building one, per event, five times slower
class Decoded:
    """One logged event, decoded for projections (read-only by convention)."""

    position: int
    stream_id: UUID
    version: int
    topic: str
    family: str
    name: str
    state: dict[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime
    at: datetime  # when it happened (the command's ``at``), else when it was recorded

    def describe(self) -> str:
        return f"{self.family}.{self.name} at position {self.position} ({self.topic})"


def undecoded(record: RecordedEvent, kind: Kind | None) -> Decoded:
    """A record that could not be decoded, as an event that names it (its state left empty)."""
    assert record.position is not None
    return Decoded(
        record.position, record.stream_id, record.version, record.topic,
        kind.family if kind else "?", kind.name if kind else record.topic.rpartition(".")[2],
        {}, record.metadata, record.recorded_at, record.recorded_at,
    )  # fmt: skip


def _kind_of(topic: str) -> Kind | None:
    try:
        cls = resolve_topic(topic)
    except (TopicError, ImportError, AttributeError):
        return None
    owner_name, _, name = cls.__qualname__.rpartition(".")
    if not owner_name:
        return None
    owner = getattr(sys.modules[cls.__module__], owner_name.split(".")[0], None)
    for family, aggregate in FAMILIES.items():
        if isinstance(owner, type) and issubclass(aggregate, owner):
            return Kind(family, name, _upcaster(cls))
    return None


def _upcaster(cls: type) -> Callable[[dict[str, Any]], None] | None:
    current = getattr(cls, "class_version", 1)
    if current == 1:
        return None

    def upcast(state: dict[str, Any]) -> None:
        version = state.pop("class_version", 1)
        while version < current:
            getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1

    return upcast


_MEMBERS: dict[tuple[str, Any], Enum] = {}


def _enum(data: list[Any]) -> Enum:
    topic, value = data
    try:
        return _MEMBERS[(topic, value)]
    except KeyError:
        member = _MEMBERS[(topic, value)] = resolve_topic(topic)(value)
        return member


def _sealed(_data: Any) -> None:
    """Personal data sealed with its citizen's key (core/privacy): projections never hold it,
    so it reads as None, forgotten or not, live and on every rebuild alike."""
    return None


_TAGS: dict[str, Callable[[Any], Any]] = {
    "sealed": _sealed,
    "uuid_hex": PgUUID,  # what asyncpg reads uuid columns as: a UUID, ten times faster to make
    "decimal_str": Decimal,
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
    "tuple_as_list": tuple,
    "enum_topic": _enum,
    "float_str": float,
}


_PLAIN = frozenset({str, int})


def decode_value(value: Any) -> Any:
    """A value of the transcoder's JSON, with its tagged parts turned back into objects."""
    kind = type(value)
    if kind is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            tag, data = value["_type_"], value["_data_"]
            decoder = _TAGS.get(tag)
            if decoder is None:
                raise ValueError(f"no decoding for values tagged {tag!r}")
            return decoder(data if type(data) is str else decode_value(data))
        return {k: decode_value(v) for k, v in value.items()}
    if kind is list:
        return [decode_value(v) for v in value]
    return value


# Attributes no projection reads (personal, large, or the mapper's own), left as stored; and
# a request's clock, of which they read only the due date (request_events.due_on decodes it).
UNREAD = frozenset(
    {"form", "answer", "form_schema", "home_address", "timestamp", "collectors", "custody"}
    | {"clock"}
)


def decode_state(raw: dict[str, Any]) -> dict[str, Any]:
    """An event's state with its values decoded, but for the attributes in ``UNREAD``."""
    for key, value in raw.items():
        kind = type(value)
        if kind is dict:
            if key in UNREAD:
                continue
            if len(value) == 2:
                decoder = _TAGS.get(value.get("_type_"))  # type: ignore[arg-type]
                data = value.get("_data_")
                if decoder is not None and type(data) is str:
                    raw[key] = decoder(data)  # the usual case: an id, a moment, a date
                    continue
                if decoder is _enum and type(data) is list and type(data[-1]) in _PLAIN:
                    raw[key] = _enum(data)
                    continue
            raw[key] = decode_value(value)
        elif kind is list and key not in UNREAD:
            raw[key] = decode_value(value)
    return raw


class Decoder:
    """Decodes the events some projection handles; ``None`` for the rest (never decoded)."""

    def __init__(self, wanted: Callable[[Kind], bool] | None = None) -> None:
        self._kinds: dict[str, Kind | None] = {}
        self._wanted = wanted

    def kind(self, topic: str) -> Kind | None:
        try:
            return self._kinds[topic]
        except KeyError:
            kind = _kind_of(topic)
            if kind is not None and self._wanted is not None and not self._wanted(kind):
                kind = None
            self._kinds[topic] = kind
            return kind

    def decode(self, record: RecordedEvent) -> Decoded | None:
        kind = self.kind(record.topic)
        if kind is None:
            return None
        assert record.position is not None
        metadata = {key: record.metadata.get(key) for key in METADATA}
        return _decoded(
            kind, record.position, record.stream_id, record.version, record.topic,
            record.data, metadata, record.recorded_at,
        )  # fmt: skip

    def decode_row(self, row: Sequence[Any]) -> Decoded | None:
        """A row of :data:`ROW_COLUMNS` decoded, as :meth:`decode` does a recorded event."""
        position, stream_id, version, topic, data, recorded = row[:6]
        kind = self.kind(topic)
        if kind is None:
            return None
        recorded_at = datetime.fromisoformat(recorded)
        return _decoded(
            kind, position, stream_id, version, topic, data, _row_metadata(row), recorded_at
        )


def _decoded(
    kind: Kind,
    position: int,
    stream_id: UUID,
    version: int,
    topic: str,
    data: bytes,
    metadata: Mapping[str, Any],
    recorded_at: datetime,
) -> Decoded:
    state = decode_state(orjson.loads(data))
    if kind.upcast is not None:
        kind.upcast(state)
    else:
        state.pop("class_version", None)
    at = state.get("at")
    return Decoded(
        position, stream_id, version, topic, kind.family, kind.name, state, metadata,
        recorded_at, at if type(at) is datetime else recorded_at,
    )  # fmt: skip
