"""Small helpers for the store tests."""

from __future__ import annotations

import uuid

from khidma.core.events import NewEvent

TOPIC = "tests.events:Happened"


def events(n: int, size: int = 20) -> list[NewEvent]:
    return [NewEvent(TOPIC, bytes([i % 256]) * size) for i in range(n)]


def new_stream() -> uuid.UUID:
    return uuid.uuid4()
