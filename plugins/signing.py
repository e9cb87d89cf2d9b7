"""Signed callbacks: HMAC-SHA256 over the timestamp and the raw body (stdlib ``hmac``).

The header reads ``t=<unix seconds>,v1=<hex digest>``; the digest covers ``<t>.<body>``, so a
replayed body with a new timestamp does not verify, and a stale one is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "x-khidma-signature"
TOLERANCE = 300.0  # seconds a signature stays valid


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header's value for ``body``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, body: bytes, header: str | None, *, now: float | None = None) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` within the tolerance."""
    if not header:
        return False
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or not given:
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    expected = sign(secret, body, int(stamp)).rpartition("v1=")[2]
    return hmac.compare_digest(expected, given)
