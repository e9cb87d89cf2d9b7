"""The event store: asyncpg append/read/subscribe, the sequencer, migrations and hash chains."""

from .errors import (
    ConcurrencyError,
    EventStoreError,
    InvalidEventError,
    MigrationError,
    UnknownTopicError,
)
from .records import Appended, NewEvent, PendingEvent, RecordedEvent
from .sequencer import Lag
from .store import EventStore
from .verify import ChainProblem, ChainReport

__all__ = [
    "Appended",
    "ChainProblem",
    "ChainReport",
    "ConcurrencyError",
    "EventStore",
    "EventStoreError",
    "InvalidEventError",
    "Lag",
    "MigrationError",
    "NewEvent",
    "PendingEvent",
    "RecordedEvent",
    "UnknownTopicError",
]
