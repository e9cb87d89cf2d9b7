"""The e2e tests' working directories: outside pytest's own temporary directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A directory of this test's own for a ``khidma`` command's embedded PostgreSQL.

    Not under pytest's: its server runs as another user, who must traverse the directories
    above its data, and every pytest session starting on the machine makes pytest's
    ``/tmp/pytest-of-<user>`` private again (initdb then fails: permission denied).
    """
    with tempfile.TemporaryDirectory(prefix="khidma-e2e-") as tmp:
        yield Path(tmp)
