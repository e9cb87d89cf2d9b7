"""The event store: asyncpg append/read/subscribe, the sequencer, migrations and hash chains."""

from .database import CONNECTION_ERRORS
from .errors import (
    AggregateNotFoundError,
    ConcurrencyError,
    DuplicateCommandError,
    EventStoreError,
    InvalidEventError,
    MigrationError,
    TrackingError,
    UnknownTopicError,
)
from .records import Appended, CommandRecord, NewEvent, PendingEvent, RecordedEvent, Tracking
from .repository import AggregateRepository
from .sequencer import Lag
from .store import EventStore, open_store
from .verify import ChainProblem, ChainReport

__all__ = [
    "CONNECTION_ERRORS",
    "AggregateNotFoundError",
    "AggregateRepository",
    "Appended",
    "ChainProblem",
    "ChainReport",
    "CommandRecord",
    "ConcurrencyError",
    "DuplicateCommandError",
    "EventStore",
    "EventStoreError",
    "InvalidEventError",
    "Lag",
    "MigrationError",
    "NewEvent",
    "PendingEvent",
    "RecordedEvent",
    "Tracking",
    "TrackingError",
    "UnknownTopicError",
    "open_store",
]
