"""``khidma demo`` as someone trying khidma runs it: load the demo on the embedded database."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

from tests.e2e.test_cli import KHIDMA, clean_env, wait_healthy
from tests.ports import free_port

TRACKING = re.compile(r"^\s+([A-Z]{3}-\d{4}-\d{7}-\d)\s+(\w+)\s+([\w.]+)\s+(\d{11})$", re.M)


def demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KHIDMA, "demo", *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_demo_loads_once_and_then_writes_nothing(tmp_path: Path) -> None:
    first = demo(tmp_path, "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "centres / المراكز: 12" in first.stdout
    assert "services / الخدمات: 15" in first.stdout
    assert "citizens / المواطنون: 5" in first.stdout
    assert "events written" in first.stdout
    requests = TRACKING.findall(first.stdout)
    assert len(requests) == 8
    assert {"submitted", "awaiting_payment", "paid", "ready_for_pickup", "rejected"} <= {
        status for _, status, _, _ in requests
    }
    assert not (tmp_path / ".khidma" / "pgdata" / "postmaster.pid").exists()

    second = demo(tmp_path, "--no-serve")
    assert second.returncode == 0, second.stderr
    assert "nothing new written" in second.stdout
    assert "events written" not in second.stdout
    assert TRACKING.findall(second.stdout) == requests


def test_demo_then_serves(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*KHIDMA, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_healthy(port, process)["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "events written" in stdout
