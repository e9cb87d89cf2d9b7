"""The PostgreSQL the tests run against: ``KHIDMA_TEST_DATABASE_URL``, else an embedded one.

One embedded server per test run, started on first use, stopped at exit. unittest-style cases
(eventsourcing's recorder test cases) call :func:`test_database_url` directly.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import uuid
from pathlib import Path

import psycopg

from khidma.core.events.embedded import embedded_postgres

_url: str | None = None
_stack = contextlib.ExitStack()


def test_database_url() -> str:
    global _url
    if _url is None:
        _url = os.environ.get("KHIDMA_TEST_DATABASE_URL")
        if not _url:
            tmp = Path(_stack.enter_context(tempfile.TemporaryDirectory(prefix="khidma-pg-")))
            _url = _stack.enter_context(embedded_postgres(tmp / "pgdata"))
            atexit.register(_stack.close)
    return _url


test_database_url.__test__ = False  # type: ignore[attr-defined]


def new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


def drop_schema(schema: str) -> None:
    with psycopg.connect(test_database_url(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
