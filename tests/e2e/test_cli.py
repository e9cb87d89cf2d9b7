"""The ``khidma`` command as an operator runs it: embedded database, migrate, serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.database import drop_schema, new_schema_name, test_database_url
from tests.ports import free_port

KHIDMA = [sys.executable, "-m", "khidma.core.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHIDMA_")}
    return env | extra


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        KHIDMA + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_embedded_database_is_created_reused_and_stopped(tmp_path: Path) -> None:
    env = clean_env()
    first = run(["migrate"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "applied: 0001_event_store.sql" in first.stdout
    pgdata = tmp_path / ".khidma" / "pgdata"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists(), "the server must stop on exit"
    second = run(["migrate"], tmp_path, env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "up to date"  # the same data directory, reused
    url = run(["db", "url"], tmp_path, env)
    assert url.stdout.strip().endswith(f"host={pgdata}")


def test_pgdata_is_configurable(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, clean_env(KHIDMA_PGDATA=str(tmp_path / "elsewhere")))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere" / "PG_VERSION").exists()
    assert not (tmp_path / ".khidma").exists()


def test_unknown_setting_is_refused_by_name(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, clean_env(KHIDMA_DATABSE_URL="postgresql://x"))
    assert result.returncode == 2
    assert "KHIDMA_DATABSE_URL: unknown setting" in result.stderr


def wait_healthy(port: int, process: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        assert response.status_code == 200
        return response.json()
    raise AssertionError("khidma serve did not become healthy")


@pytest.mark.parametrize("database", ["embedded", "url"])
def test_serve_answers_healthz_and_stops_cleanly(tmp_path: Path, database: str) -> None:
    port = free_port()
    schema = new_schema_name()
    env = clean_env()
    if database == "url":
        env |= {"KHIDMA_DATABASE_URL": test_database_url(), "KHIDMA_DB_SCHEMA": schema}
    process = subprocess.Popen(
        [*KHIDMA, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = wait_healthy(port, process)
        assert health["status"] == "ok"
        assert health["log_position"] == 0
        assert health["sequencer_lag"] == {"events": 0, "seconds": 0.0}
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        if database == "url":
            drop_schema(schema)
    assert process.returncode == 0, stderr
    assert not (tmp_path / ".khidma" / "pgdata" / "postmaster.pid").exists()
