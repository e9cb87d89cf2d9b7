"""Settings from the environment (``KHIDMA_*``), read in one place."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SettingsError(ValueError):
    """A ``KHIDMA_*`` variable has a value khidma cannot use."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything khidma can be configured with; see README's configuration table."""

    database_url: str | None = None
    data_dir: Path = Path(".khidma")
    pgdata: Path | None = None
    db_schema: str = "khidma"
    pool_min_size: int = 2
    pool_max_size: int = 20
    host: str = "127.0.0.1"
    port: int = 8000
    snapshot_every: int = 50
    max_event_bytes: int = 1_048_576
    sequencer_batch: int = 5_000
    sequencer_interval: float = 0.5
    poll_interval: float = 1.0
    idle_in_transaction_timeout_ms: int = 60_000
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded_pgdata(self) -> Path:
        """Where the embedded PostgreSQL keeps its files."""
        return self.pgdata or self.data_dir / "pgdata"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``KHIDMA_<FIELD>`` variables; unknown ones are an error, not ignored."""
        env = os.environ if environ is None else environ
        known = {f"KHIDMA_{f.name.upper()}": f for f in fields(cls) if f.name != "extra"}
        values: dict[str, object] = {}
        for name, value in env.items():
            if not name.startswith("KHIDMA_") or name.startswith("KHIDMA_TEST_"):
                continue
            spec = known.get(name)
            if spec is None:
                raise SettingsError(name, f"unknown setting; known: {', '.join(sorted(known))}")
            values[spec.name] = _convert(name, spec.type, value)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError naming the first setting out of range."""
        if not _SCHEMA_NAME.match(self.db_schema):
            raise SettingsError("KHIDMA_DB_SCHEMA", "must be a lower-case SQL identifier")
        for name in ("pool_min_size", "pool_max_size", "snapshot_every", "max_event_bytes"):
            if getattr(self, name) < 1:
                raise SettingsError(f"KHIDMA_{name.upper()}", "must be at least 1")
        if self.pool_min_size > self.pool_max_size:
            raise SettingsError("KHIDMA_POOL_MIN_SIZE", "must not exceed KHIDMA_POOL_MAX_SIZE")
        if not 0 < self.port < 65536:
            raise SettingsError("KHIDMA_PORT", "must be a TCP port, 1-65535")


def _convert(variable: str, kind: object, value: str) -> object:
    text = str(kind)
    try:
        if "int" in text:
            return int(value)
        if "float" in text:
            return float(value)
    except ValueError:
        raise SettingsError(variable, f"expected a number, got {value!r}") from None
    if "Path" in text:
        return Path(value)
    return value
