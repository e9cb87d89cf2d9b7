"""Events as projections see them: the aggregate family, the event's name and its decoded state.

Decoding skips eventsourcing's domain-event objects: the state is decoded once by the store's
transcoder and upcast with the event class's own ``upcast_vN_vN+1`` methods, as the Mapper does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import TopicError, resolve_topic

from khidma.core.domain.calendar import WorkingCalendar
from khidma.core.domain.catalog import Catalog
from khidma.core.domain.centre import Centre
from khidma.core.domain.queue import Queue
from khidma.core.domain.request import ServiceRequest
from khidma.core.events import RecordedEvent
from khidma.core.events.transcoder import OrjsonTranscoder

# The aggregates projections follow, by the short name they use for them.
FAMILIES: dict[str, type] = {
    "request": ServiceRequest,
    "queue": Queue,
    "calendar": WorkingCalendar,
    "centre": Centre,
    "catalog": Catalog,
}


@dataclass(frozen=True, slots=True)
class Kind:
    """What a topic is: ``("request", "Submitted")``, and how to bring its state up to date."""

    family: str
    name: str
    upcast: Callable[[dict[str, Any]], None] | None


@dataclass(frozen=True, slots=True)
class Decoded:
    """One logged event, decoded for projections."""

    position: int
    stream_id: UUID
    version: int
    topic: str
    family: str
    name: str
    state: dict[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime

    @property
    def at(self) -> datetime:
        """When it happened (the command's ``at``), else when it was recorded."""
        value = self.state.get("at")
        return value if isinstance(value, datetime) else self.recorded_at

    def describe(self) -> str:
        return f"{self.family}.{self.name} at position {self.position} ({self.topic})"


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


class Decoder:
    """Decodes the events some projection handles; ``None`` for the rest (never decoded)."""

    def __init__(self, wanted: Callable[[Kind], bool] | None = None) -> None:
        self._transcoder = OrjsonTranscoder()
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
        state = self._transcoder.decode(record.data)
        if kind.upcast is not None:
            kind.upcast(state)
        else:
            state.pop("class_version", None)
        assert record.position is not None
        return Decoded(
            record.position,
            record.stream_id,
            record.version,
            record.topic,
            kind.family,
            kind.name,
            state,
            record.metadata,
            record.recorded_at,
        )
