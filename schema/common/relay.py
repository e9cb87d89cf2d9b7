"""Relay: global ids (``Type:key`` in base64), the Node interface, pages and cursors."""

from __future__ import annotations

import base64
import binascii

import strawberry


@strawberry.interface(description="An object with a global id, fetched again with `node(id)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def to_global_id(kind: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode())


def from_global_id(value: str) -> tuple[str, str] | None:
    """``(kind, key)``, or None for an id that is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, sep, key = text.partition(":")
    return (kind, key) if sep and kind and key else None


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode()


def decode_cursor(cursor: str, count: int) -> list[str] | None:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return parts if len(parts) == count else None
