"""The shapes of events going into and coming out of the store, and their validation."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from .errors import InvalidEventError

MetadataValue = str | int | bool | None

# The keys DESIGN.md asks every command to carry; others are allowed if well-formed.
METADATA_KEYS = (
    "actor_id",
    "actor_role",
    "centre",
    "agency",
    "channel",
    "correlation_id",
    "causation_id",
    "idempotency_key",
)
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_KNOWN_KEYS = frozenset(METADATA_KEYS)  # valid names, checked without the pattern
# eventsourcing topics are "module:qualname" and may hold hyphens or "<locals>".
_TOPIC = re.compile(r"^\S+$")
MAX_METADATA_VALUE = 1_000
MAX_TOPIC = 400


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append to one stream: its topic and its serialised state."""

    topic: str
    data: bytes


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event with its stream and version fixed by the caller."""

    stream_id: UUID
    version: int
    topic: str
    data: bytes


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored; ``position`` is None until the sequencer has logged it."""

    position: int | None
    event_id: int
    stream_id: UUID
    version: int
    topic: str
    data: bytes
    metadata: Mapping[str, MetadataValue]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Appended:
    """What one committed append wrote: its events' ids and its transaction's id."""

    tx_id: int
    event_ids: tuple[int, ...]
    last_versions: Mapping[UUID, int]
    offset: int = 0  # how many events of the same transaction (other appends) come first

    @property
    def last_event(self) -> tuple[int, int]:
        """The (tx_id, event_id) the sequencer must pass for this append to be readable."""
        return self.tx_id, self.event_ids[-1]


@dataclass(frozen=True, slots=True)
class Tracking:
    """How far ``tracker`` has processed the log ``upstream``; recorded with what it wrote."""

    tracker: str
    upstream: str
    position: int


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """A command's idempotency key and its result, written with the command's events."""

    idempotency_key: str
    command: str
    actor_id: str | None
    result: Mapping[str, Any]

    def arguments(self) -> list[Any]:
        return [self.idempotency_key, self.command, self.actor_id, dict(self.result)]


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, MetadataValue]:
    """Return metadata as a plain dict, or raise naming the bad key."""
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InvalidEventError("metadata", f"expected a mapping, got {type(metadata).__name__}")
    checked: dict[str, MetadataValue] = {}
    for key, value in metadata.items():
        if key not in _KNOWN_KEYS and (not isinstance(key, str) or not _KEY.match(key)):
            raise InvalidEventError(f"metadata.{key}", "keys are lower-case identifiers")
        if type(value) is str:  # the usual case: ids, roles, codes
            checked[key] = _text(key, value)
        else:
            checked[key] = None if value is None else _checked_value(key, value)
    return checked


def _text(key: str, value: str) -> str:
    if len(value) > MAX_METADATA_VALUE:
        raise InvalidEventError(f"metadata.{key}", f"longer than {MAX_METADATA_VALUE} characters")
    return value


def _checked_value(key: str, value: object) -> MetadataValue:
    """A metadata value that is not text or None: a UUID (as text), integer or boolean."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, str):
        return _text(key, value)
    if not isinstance(value, int | bool):
        raise InvalidEventError(
            f"metadata.{key}", f"values are text, integers or booleans, not {type(value).__name__}"
        )
    if not isinstance(value, bool) and abs(value) >= 2**53:
        raise InvalidEventError(f"metadata.{key}", "integer out of the exact JSON range")
    return value


def check_events(events: Sequence[PendingEvent], max_bytes: int) -> None:
    """Raise naming the first event that cannot be stored."""
    if not events:
        raise InvalidEventError("events", "at least one event is required")
    seen: set[tuple[UUID, int]] = set()
    for i, event in enumerate(events):
        problem = _problem(event, max_bytes)
        if problem is None and (event.stream_id, event.version) in seen:
            problem = "version", f"version {event.version} given twice"
        if problem is not None:
            raise InvalidEventError(f"events[{i}].{problem[0]}", problem[1])
        seen.add((event.stream_id, event.version))


def _problem(event: PendingEvent, max_bytes: int) -> tuple[str, str] | None:
    """What is wrong with one event, as (attribute, message); None if nothing."""
    if not isinstance(event.stream_id, UUID):
        return "stream_id", "expected a UUID"
    if not isinstance(event.version, int) or isinstance(event.version, bool):
        return "version", "expected an integer"
    if not 0 <= event.version < 2**63:
        return "version", "out of range"
    if not isinstance(event.topic, str) or not _TOPIC.match(event.topic):
        return "topic", f"not a topic: {event.topic!r}"
    if len(event.topic) > MAX_TOPIC:
        return "topic", f"longer than {MAX_TOPIC} characters"
    if not isinstance(event.data, bytes):
        return "data", "expected bytes"
    if len(event.data) > max_bytes:
        return "data", f"{len(event.data)} bytes is over the limit of {max_bytes}"
    return None


def check_topics(topics: Sequence[str] | None) -> list[str] | None:
    """Validate a topic filter for reads."""
    if topics is None:
        return None
    if isinstance(topics, str):
        raise InvalidEventError("topics", "expected a list of topics, not one string")
    checked = list(topics)
    for i, topic in enumerate(checked):
        if not isinstance(topic, str) or not _TOPIC.match(topic):
            raise InvalidEventError(f"topics[{i}]", f"not a topic: {topic!r}")
    return checked
