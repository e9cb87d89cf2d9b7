"""Signing keys: an HS256 key generated at first start (embedded default), or a JWKS.

Production configures ``KHIDMA_JWKS_URL`` (the identity provider's RS256 or EdDSA keys, over
HTTP(S)); without it khidma signs and verifies with a random HS256 key it
writes once to ``KHIDMA_JWT_KEY_FILE`` (default ``$KHIDMA_DATA_DIR/jwt.key``, mode 0600).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import jwt

ASYMMETRIC = ("RS256", "EdDSA")


def load_or_create_hs256_key(path: Path) -> bytes:
    """The key in ``path``; a new random one if the file does not exist yet.

    Two processes starting at once both end up with the key of whichever wrote first.
    """
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "wb") as out:
        out.write(fresh)
    return fresh


def _read(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise ValueError(f"{path}: the JWT key must be at least 32 bytes")
    return key


class JwksKeys:
    """Verification keys from a JWKS URL, fetched on first use and cached by PyJWT."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)

    def key_for(self, token: str) -> jwt.PyJWK:
        """The key the token's ``kid`` names (a blocking fetch the first time)."""
        return self._client.get_signing_key_from_jwt(token)
