"""Advisory lock keys, distinct per schema so several khidmas can share one database."""

from __future__ import annotations

import hashlib


def lock_key(schema: str, purpose: str) -> int:
    """A stable signed 64-bit key for ``purpose`` (e.g. "sequencer") within ``schema``."""
    digest = hashlib.blake2b(f"khidma:{schema}:{purpose}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def channel(schema: str) -> str:
    """The NOTIFY channel on which the sequencer announces new log positions."""
    return f"khidma_log_{schema}"
