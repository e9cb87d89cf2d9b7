"""The plugin kit: the conformance suite passes for a built-in connector, and the example
third-party connector, installed from its own pyproject.toml, is found by its entry point and
passes the suite in its own pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from khidma.plugins.builtin.agencies import AgencyConnector
from khidma.plugins.testing import AgencyConnectorContract, khidma_sandbox

__all__ = ["khidma_sandbox"]  # the kit's fixture, as `pytest_plugins` would provide it

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "khidma-traffic"


class TestBuiltinJustice(AgencyConnectorContract):
    agency = "justice"

    @pytest.fixture
    def plugin(self) -> object:
        return AgencyConnector("justice")


def test_the_example_connector_installs_and_passes_the_suite(tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    found = subprocess.run(
        [sys.executable, "-c",
         "from khidma.core.config import Settings;"
         "from khidma.plugins.manager import create_manager;"
         "m = create_manager(Settings());"
         "print(sorted(n for n, _ in m.list_name_plugin() if not n.startswith('builtin.')))"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "traffic" in found.stdout
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=EXAMPLE, capture_output=True, text=True, env=env, timeout=240, check=False,
    )  # fmt: skip
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "9 passed" in suite.stdout
