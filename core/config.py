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
    shared_aggregates: int = 10_000
    max_event_bytes: int = 1_048_576
    sequencer_batch: int = 5_000
    sequencer_interval: float = 0.5
    poll_interval: float = 1.0
    idle_in_transaction_timeout_ms: int = 60_000
    # agency connectors and the dispatcher (plugins/)
    sandbox_url: str = "http://127.0.0.1:8010"
    sandbox_port: int = 8010
    connector_urls: str = ""
    callback_url: str | None = None
    callback_secret: str = "khidma-sandbox-secret"
    connector_timeout: float = 5.0
    payment_provider: str = "sep"
    dispatch_attempts: int = 5
    dispatch_backoff: float = 0.5
    dispatch_max_backoff: float = 30.0
    breaker_threshold: int = 3
    breaker_cooldown: float = 30.0
    watch_interval: float = 30.0
    fallback_days: int = 3
    # the GraphQL API (schema/)
    jwt_key_file: Path | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "khidma"
    token_hours: float = 12.0
    max_query_depth: int = 10
    max_query_tokens: int = 2_000
    max_query_aliases: int = 15
    # signed checkpoints (core/audit)
    checkpoint_every: int = 10_000
    checkpoint_interval: float = 60.0
    checkpoint_dir: Path | None = None
    checkpoint_url: str | None = None
    signing_key_file: Path | None = None
    # crypto-shredding (core/privacy)
    master_key_file: Path | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def jwt_key_path(self) -> Path:
        """The HS256 key of the embedded default (generated at first start)."""
        return self.jwt_key_file or self.data_dir / "jwt.key"

    @property
    def checkpoints_dir(self) -> Path:
        """Where each signed checkpoint is also written, outside the database."""
        return self.checkpoint_dir or self.data_dir / "checkpoints"

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
        if self.shared_aggregates < 0:
            raise SettingsError("KHIDMA_SHARED_AGGREGATES", "must be 0 or more")
        if self.pool_min_size > self.pool_max_size:
            raise SettingsError("KHIDMA_POOL_MIN_SIZE", "must not exceed KHIDMA_POOL_MAX_SIZE")
        if not 0 < self.port < 65536:
            raise SettingsError("KHIDMA_PORT", "must be a TCP port, 1-65535")
        if not 0 < self.sandbox_port < 65536:
            raise SettingsError("KHIDMA_SANDBOX_PORT", "must be a TCP port, 1-65535")
        for name in ("dispatch_attempts", "breaker_threshold"):
            if getattr(self, name) < 1:
                raise SettingsError(f"KHIDMA_{name.upper()}", "must be at least 1")
        for name in (
            "connector_timeout", "dispatch_backoff", "dispatch_max_backoff", "breaker_cooldown",
            "watch_interval",
        ):  # fmt: skip
            if getattr(self, name) <= 0:
                raise SettingsError(f"KHIDMA_{name.upper()}", "must be more than 0")
        for name in ("max_query_depth", "max_query_tokens", "max_query_aliases"):
            if getattr(self, name) < 1:
                raise SettingsError(f"KHIDMA_{name.upper()}", "must be at least 1")
        if self.token_hours <= 0:
            raise SettingsError("KHIDMA_TOKEN_HOURS", "must be more than 0")
        if self.checkpoint_every < 1:
            raise SettingsError("KHIDMA_CHECKPOINT_EVERY", "must be at least 1")
        if self.checkpoint_interval <= 0:
            raise SettingsError("KHIDMA_CHECKPOINT_INTERVAL", "must be more than 0")
        if self.checkpoint_url and not self.checkpoint_url.startswith(("http://", "https://")):
            raise SettingsError("KHIDMA_CHECKPOINT_URL", "expected an http(s):// URL")
        if self.fallback_days < 0:
            raise SettingsError("KHIDMA_FALLBACK_DAYS", "must be 0 or more")
        if not self.callback_secret:
            raise SettingsError("KHIDMA_CALLBACK_SECRET", "must not be empty")
        self.connector_url_map()

    def connector_url_map(self) -> dict[str, str]:
        """``KHIDMA_CONNECTOR_URLS`` (``agency=url,…``): where a connector's system is."""
        found: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in self.connector_urls.split(","))):
            name, sep, url = part.partition("=")
            if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
                raise SettingsError(
                    "KHIDMA_CONNECTOR_URLS", f"expected name=http(s)://…, got {part!r}"
                )
            found[name.strip()] = url.strip().rstrip("/")
        return found

    def connector_url(self, name: str) -> str:
        """The base URL of connector ``name``: from KHIDMA_CONNECTOR_URLS, else the sandbox."""
        return self.connector_url_map().get(name) or f"{self.sandbox_url.rstrip('/')}/{name}"

    @property
    def callback_base(self) -> str:
        """Where agencies and payment providers call khidma back."""
        return (self.callback_url or f"http://{self.host}:{self.port}/callbacks").rstrip("/")


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
