"""Checkpoints: the table that holds them, and their copies outside the database.

Each checkpoint is also a small JSON file, ``<size as 20 digits>.json`` in
``KHIDMA_CHECKPOINT_DIR`` (written to a temporary name, then renamed), and, when
``KHIDMA_CHECKPOINT_URL`` is set, POSTed there as JSON. A checkpoint is marked published once
every configured copy is written; the sealer retries the others on its next pass.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ..config import Settings
from .standalone import SignedHead, Unusable, read_own_copies

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = "size, root, signed_at, signature, key_id, frontier"


def to_us(moment: datetime) -> int:
    """Microseconds since the Unix epoch, exactly."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed head as stored, with the frontier the sealer continues from."""

    size: int
    root: bytes
    signed_at: datetime
    signature: bytes
    key_id: str
    frontier: bytes = b""

    @property
    def signed_at_us(self) -> int:
        return to_us(self.signed_at)

    @property
    def head(self) -> SignedHead:
        return SignedHead(self.size, self.root, self.signed_at_us, self.signature, self.key_id)

    def to_json(self) -> dict[str, Any]:
        """The published form, which ``standalone.SignedHead.from_json`` reads."""
        return {
            "kind": "checkpoint",
            "size": self.size,
            "root": self.root.hex(),
            "signed_at": self.signed_at.isoformat().replace("+00:00", "Z"),
            "signed_at_us": self.signed_at_us,
            "signature": self.signature.hex(),
            "key_id": self.key_id,
        }


def _row(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(
        row["size"],
        row["root"],
        row["signed_at"],
        row["signature"],
        row["key_id"],
        row["frontier"],
    )


async def latest(conn: asyncpg.Connection | asyncpg.Pool) -> Checkpoint | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY size DESC LIMIT 1")
    return None if row is None else _row(row)


async def all_checkpoints(conn: asyncpg.Connection | asyncpg.Pool) -> list[Checkpoint]:
    return [_row(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY size")]


async def covering(conn: asyncpg.Connection | asyncpg.Pool, position: int) -> Checkpoint | None:
    """The first checkpoint whose tree holds ``position``."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checkpoints WHERE size >= $1 ORDER BY size LIMIT 1", position
    )
    return None if row is None else _row(row)


async def at_size(conn: asyncpg.Connection | asyncpg.Pool, size: int) -> Checkpoint | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM checkpoints WHERE size = $1", size)
    return None if row is None else _row(row)


async def insert(conn: asyncpg.Connection, checkpoint: Checkpoint) -> None:
    await conn.execute(
        f"INSERT INTO checkpoints ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)",
        checkpoint.size,
        checkpoint.root,
        checkpoint.signed_at,
        checkpoint.signature,
        checkpoint.key_id,
        checkpoint.frontier,
    )


def file_name(size: int) -> str:
    return f"{size:020d}.json"


def write_file(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write the checkpoint's JSON file atomically; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(checkpoint.size)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(checkpoint.to_json(), indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_directory(directory: Path) -> list[SignedHead]:
    """The checkpoints kept outside the database (none if the directory does not exist)."""
    if not directory.is_dir():
        return []
    try:
        return sorted(read_own_copies(directory), key=lambda h: h.size)
    except Unusable as error:
        raise ValueError(str(error)) from None


class Publisher:
    """Writes checkpoints outside the database: to the directory, and to the URL if set."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.directory = settings.checkpoints_dir
        self.url = settings.checkpoint_url
        self.timeout = settings.connector_timeout
        self._transport = transport

    async def publish(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Write each; raises OSError or httpx.HTTPError on the first that fails."""
        for checkpoint in checkpoints:
            write_file(self.directory, checkpoint)
        if self.url and checkpoints:
            async with httpx.AsyncClient(transport=self._transport, timeout=self.timeout) as client:
                for checkpoint in checkpoints:
                    response = await client.post(self.url, json=checkpoint.to_json())
                    response.raise_for_status()

    async def publish_pending(self, pool: asyncpg.Pool) -> int:
        """Publish every checkpoint not yet published; return how many were."""
        rows = await pool.fetch(
            f"SELECT {_COLUMNS} FROM checkpoints WHERE published_at IS NULL ORDER BY size"
        )
        if not rows:
            return 0
        pending = [_row(r) for r in rows]
        try:
            await self.publish(pending)
        except (OSError, httpx.HTTPError) as error:
            log.warning("checkpoints not yet written outside the database (%s); retrying", error)
            return 0
        await pool.execute(
            "UPDATE checkpoints SET published_at = clock_timestamp() WHERE size = ANY($1)",
            [c.size for c in pending],
        )
        return len(pending)
