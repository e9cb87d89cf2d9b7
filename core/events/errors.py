"""Errors the event store raises; each names what was wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from .records import Tracking


class EventStoreError(Exception):
    """Base class of the event store's errors."""


class InvalidEventError(EventStoreError, ValueError):
    """An append was refused before anything was written; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ConcurrencyError(EventStoreError):
    """Another writer got to the stream first; nothing of this append was written."""

    def __init__(self, stream_id: UUID, expected_version: int | None, actual_version: int) -> None:
        expected = "any" if expected_version is None else str(expected_version)
        super().__init__(
            f"stream {stream_id}: expected version {expected}, actual version {actual_version}"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class UnknownTopicError(EventStoreError, LookupError):
    """A recorded event's topic names no class this process can load."""

    def __init__(self, topic: str, stream_id: UUID, version: int) -> None:
        super().__init__(
            f"unknown topic {topic!r} (stream {stream_id}, version {version}): "
            "the event class was renamed or removed without an upcaster"
        )
        self.topic = topic
        self.stream_id = stream_id
        self.version = version


class MigrationError(EventStoreError):
    """The database schema is newer than this code, or a migration failed."""


class AggregateNotFoundError(EventStoreError, LookupError):
    """No events were found for an aggregate (at or below the version asked for)."""

    def __init__(self, aggregate_id: UUID, version: int | None = None) -> None:
        at = "" if version is None else f" at or below version {version}"
        super().__init__(f"aggregate {aggregate_id} not found{at}")
        self.aggregate_id = aggregate_id
        self.version = version


class TrackingError(EventStoreError):
    """The tracker was already at or past this position; nothing was written."""

    def __init__(self, tracking: Tracking) -> None:
        super().__init__(
            f"tracker {tracking.tracker!r} already at or past position {tracking.position}"
            f" of {tracking.upstream!r}"
        )
        self.tracking = tracking


class DuplicateCommandError(EventStoreError):
    """A command with this idempotency key was already recorded; nothing new was written."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__(f"idempotency key {idempotency_key!r} was already used")
        self.idempotency_key = idempotency_key
