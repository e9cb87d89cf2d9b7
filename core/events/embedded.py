"""The embedded PostgreSQL (pgserver) used when no ``KHIDMA_DATABASE_URL`` is given."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """Start (or reuse) a PostgreSQL server in ``pgdata`` and yield its URL; stop it on exit.

    pgserver counts the processes using a data directory and stops the server when the last
    one leaves, so a second ``khidma`` command against the same directory shares it.
    """
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir, which warns on servers without a login
        # session (no XDG_RUNTIME_DIR); its fallback is fine.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pgserver  # here, not at the top: slow to import, unneeded with a database URL

        pgdata = pgdata.resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextlib.contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured database URL, or an embedded server's for as long as the block runs."""
    if settings.database_url:
        yield settings.database_url
        return
    log.info(
        "no KHIDMA_DATABASE_URL: using the embedded PostgreSQL in %s", settings.embedded_pgdata
    )
    with embedded_postgres(settings.embedded_pgdata) as url:
        yield url
