"""The Ed25519 key that signs checkpoints: loaded from a PEM file, or generated on first use."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..config import Settings
from .standalone import checkpoint_message, key_id

log = logging.getLogger(__name__)


class SigningKeyError(ValueError):
    """The configured signing key cannot be used."""


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, size: int, root: bytes, signed_at_us: int) -> bytes:
        return self.private_key.sign(checkpoint_message(size, root, signed_at_us))

    def public_pem(self) -> str:
        return public_pem(self.public_key)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_path(settings: Settings) -> Path:
    """``KHIDMA_SIGNING_KEY_FILE``, else ``$KHIDMA_DATA_DIR/audit/signing-key.pem``."""
    return settings.signing_key_file or settings.data_dir / "audit" / "signing-key.pem"


def load_signer(settings: Settings) -> Signer:
    """The configured key; when none is configured and none was made yet, a new one."""
    path = key_path(settings)
    if not path.exists():
        if settings.signing_key_file is not None:
            raise SigningKeyError(f"KHIDMA_SIGNING_KEY_FILE: {path} does not exist")
        return Signer(_generate(path))
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise SigningKeyError(
            f"{path}: not a readable unencrypted PEM private key ({error})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 private key")
    return Signer(key)


def _generate(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(loaded, Ed25519PrivateKey)
        return loaded
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    log.warning(
        "generated a new checkpoint signing key in %s (keep it; publish its public key)", path
    )
    return key
