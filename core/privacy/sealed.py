"""The sealed form of one personal value inside a stored event's JSON.

``{"_type_": "sealed", "_data_": "v1.<subject hex>.<kind>.<base64 nonce‖ciphertext>"}``: the
transcoder's tagged form, so the event keeps its attribute names. The ciphertext is AES-GCM
over the value's own transcoded JSON, with the subject's id as associated data; ``kind`` (``d``
a mapping, ``l`` a list, ``v`` anything else) lets a forgotten value come back as ``{}``,
``[]`` or None, so code folding the event still finds the shape it expects.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TAG = "sealed"
_VERSION = "v1"
_NONCE = 12
# Finds the subjects of a stored event's sealed values without parsing it (orjson keeps the
# keys in the order they were written, and the subject is hex).
_SUBJECTS = re.compile(rb'"_type_":"sealed","_data_":"v1\.([0-9a-f]{32})\.')
_MARK = b'"_type_":"sealed"'


class SealedValueError(ValueError):
    """A sealed value that is malformed or does not open with its subject's key."""


def kind_of(value: object) -> str:
    if isinstance(value, dict):
        return "d"
    if isinstance(value, list | tuple):
        return "l"
    return "v"


def seal(aead: AESGCM, subject: UUID, kind: str, plain: bytes) -> dict[str, str]:
    """The tagged sealed form of ``plain`` (a value's transcoded JSON)."""
    nonce = os.urandom(_NONCE)
    blob = base64.b64encode(nonce + aead.encrypt(nonce, plain, subject.bytes)).decode()
    return {"_type_": TAG, "_data_": f"{_VERSION}.{subject.hex}.{kind}.{blob}"}


def parse(data: object) -> tuple[UUID, str, bytes]:
    """The subject, kind and nonce‖ciphertext of a sealed value's ``_data_``."""
    try:
        version, subject, kind, blob = str(data).split(".")
        if version != _VERSION or kind not in "dlv":
            raise ValueError(version)
        return UUID(hex=subject), kind, base64.b64decode(blob, validate=True)
    except ValueError:
        raise SealedValueError(f"not a sealed value: {str(data)[:60]!r}") from None


def open_sealed(aead: AESGCM, subject: UUID, blob: bytes) -> bytes:
    try:
        return aead.decrypt(blob[:_NONCE], blob[_NONCE:], subject.bytes)
    except InvalidTag as error:  # the wrong key, or altered bytes
        raise SealedValueError(f"a sealed value of subject {subject} does not open") from error


def forgotten(kind: str) -> Any:
    """What a value whose key was destroyed decodes to."""
    return {} if kind == "d" else [] if kind == "l" else None


def subjects_in(datas: Iterable[bytes]) -> set[UUID]:
    """The subjects whose keys opening these stored events' sealed values needs."""
    found: set[UUID] = set()
    for data in datas:
        if _MARK in data:
            found.update(UUID(hex=m.decode()) for m in _SUBJECTS.findall(data))
    return found
