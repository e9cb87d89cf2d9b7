"""The master key that wraps every citizen's data key: a file, generated at first start.

Production sets ``KHIDMA_MASTER_KEY_FILE`` (kept off the database's machine and backups);
without it khidma writes a random key once to ``$KHIDMA_DATA_DIR/master.key`` (mode 0600).
Losing it loses every citizen's personal data; a different one is refused, not used.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from ..config import Settings

KEY_BYTES = 32


class MasterKeyError(ValueError):
    """The master key file cannot be used."""


def master_key_path(settings: Settings) -> Path:
    return settings.master_key_file or settings.data_dir / "master.key"


def load_master_key(settings: Settings) -> bytes:
    """The master key (32 bytes, stored as 64 hex digits); made at first start if absent."""
    path = master_key_path(settings)
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    if settings.master_key_file is not None:
        # A configured key that is missing is a mistake: a new key would hide every citizen.
        raise MasterKeyError(f"{path}: KHIDMA_MASTER_KEY_FILE does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read(path)
    with os.fdopen(fd, "w") as out:
        out.write(fresh.hex())
    return fresh


def _read(path: Path) -> bytes:
    text = path.read_text().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise MasterKeyError(f"{path}: expected {KEY_BYTES * 2} hex digits") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{path}: expected {KEY_BYTES * 2} hex digits, got {len(text)}")
    return key
