"""Content and chain hashes: how each event is fingerprinted and how the log is chained.

``content_hash = sha256(stream_id 16 bytes || version int64 BE || topic || data || metadata)``
where topic, data and metadata are each prefixed by their length (uint32 BE) and metadata is
canonical JSON (keys sorted, no spaces). ``chain_hash(n) = sha256(chain_hash(n-1) ||
content_hash(n))`` with 32 zero bytes before position 1. An outside verifier needs only this.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import orjson

GENESIS = bytes(32)
_VERSION = struct.Struct(">q")
_LENGTH = struct.Struct(">I")


def canonical_metadata(metadata: Mapping[str, Any]) -> bytes:
    """Metadata as the exact bytes that are hashed (and stored as jsonb)."""
    return orjson.dumps(metadata, option=orjson.OPT_SORT_KEYS)


def content_hash(stream_id: UUID, version: int, topic: str, data: bytes, metadata: bytes) -> bytes:
    """The fingerprint of one event; ``metadata`` is already canonical."""
    topic_bytes = topic.encode()
    h = hashlib.sha256(stream_id.bytes)
    h.update(_VERSION.pack(version))
    for part in (topic_bytes, data, metadata):
        h.update(_LENGTH.pack(len(part)))
        h.update(part)
    return h.digest()


def chain_hash(previous: bytes, content: bytes) -> bytes:
    """The link after ``previous`` for an event whose content hash is ``content``."""
    return hashlib.sha256(previous + content).digest()
