"""An event as exported and as shown in proofs: every field the content hash covers."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg

from ..events.hashing import canonical_metadata

EVENT_COLUMNS = (
    "l.position, e.stream_id, e.version, e.topic, e.data, e.metadata, e.recorded_at,"
    " e.content_hash, l.chain_hash"
)


def event_json(row: asyncpg.Record) -> dict[str, Any]:
    """The export form of a row of ``EVENT_COLUMNS``; ``metadata`` is the exact hashed text."""
    position, stream_id, version, topic, data, metadata, recorded_at, content, chain = row
    return {
        "kind": "event",
        "position": position,
        "stream_id": str(stream_id),
        "version": version,
        "topic": topic,
        "data": base64.b64encode(data).decode(),
        "metadata": canonical_metadata(metadata).decode(),
        "recorded_at": recorded_at.isoformat(),
        "content_hash": content.hex(),
        "chain_hash": chain.hex(),
    }
