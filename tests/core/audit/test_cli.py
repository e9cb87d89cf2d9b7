"""The ``khidma audit`` commands, run as an operator would, and proofs checked by an outsider
who has the standalone verifier's one file and the public key, and nothing of khidma."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from khidma.core.audit import standalone
from khidma.core.cli import main
from khidma.core.config import Settings
from khidma.core.events import EventStore

from .conftest import log_events

pytestmark = pytest.mark.store


async def khidma(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """``khidma ARGV`` in a thread of this process (its own event loop), output captured."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, argv)
    out, err = capsys.readouterr()
    return code, out, err


async def run(*argv: str, env: dict[str, str], cwd: Path | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def cli(
    audit_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Awaitable[tuple[int, str, str]]]:
    """Run ``khidma audit …`` against the test's schema and data directory."""
    assert audit_settings.database_url
    for name in [k for k in os.environ if k.startswith("KHIDMA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("KHIDMA_DATABASE_URL", audit_settings.database_url)
    monkeypatch.setenv("KHIDMA_DB_SCHEMA", audit_settings.db_schema)
    monkeypatch.setenv("KHIDMA_DATA_DIR", str(audit_settings.data_dir))

    async def run_audit(*argv: str) -> tuple[int, str, str]:
        return await khidma(["audit", *argv], monkeypatch, capsys)

    return run_audit


@pytest.fixture
def outsider(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A directory with a copy of the standalone verifier, and an environment without khidma."""
    where = tmp_path / "auditor"
    where.mkdir()
    shutil.copy(standalone.__file__, where / "verify_khidma.py")
    return where, {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}


async def test_seal_verify_prove_and_export(
    store: EventStore,
    cli: Callable[..., Awaitable[tuple[int, str, str]]],
    outsider: tuple[Path, dict[str, str]],
    audit_settings: Settings,
) -> None:
    auditor, bare = outsider
    await log_events(store, 12)
    code, out, _ = await cli("seal")
    assert code == 0 and "sealed checkpoint 12" in out
    await log_events(store, 3)
    code, out, _ = await cli("seal")
    assert code == 0 and "sealed checkpoint 15" in out

    code, pem, err = await cli("key")
    assert code == 0 and pem.startswith("-----BEGIN PUBLIC KEY-----") and "key id" in err
    (auditor / "key.pem").write_text(pem)

    code, out, _ = await cli("verify")
    assert code == 0, out
    assert out.strip() == "OK: 15 events, 2 checkpoints"

    verifier = [sys.executable, "-I", str(auditor / "verify_khidma.py")]
    key = ["--public-key", str(auditor / "key.pem")]
    code, out, _ = await cli("proof", "7")
    assert code == 0 and json.loads(out)["checkpoint"]["size"] == 12
    (auditor / "proof.json").write_text(out)
    code, out, _ = await run(*verifier, "proof.json", *key, env=bare, cwd=auditor)
    assert code == 0 and "position 7 is included in checkpoint 12" in out, out

    code, out, _ = await cli("consistency", "12", "15")
    assert code == 0
    (auditor / "consistency.json").write_text(out)
    code, out, _ = await run(*verifier, "consistency.json", *key, env=bare, cwd=auditor)
    assert code == 0 and "checkpoint 15 extends checkpoint 12" in out, out

    export = auditor / "export.ndjson"
    code, _, err = await cli("export", "-o", str(export))
    assert code == 0 and "exported 15 events and 2 checkpoints" in err
    copies = audit_settings.checkpoints_dir
    code, out, _ = await run(
        *verifier, "export.ndjson", *key, "--checkpoints", str(copies), env=bare, cwd=auditor
    )
    assert code == 0 and out.strip() == "OK: 15 events, 2 checkpoints, 1 consistency proofs"

    # an outsider with a forged proof is told so
    forged = json.loads((auditor / "proof.json").read_text())
    forged["event"]["data"] = "Zm9yZ2Vk"
    (auditor / "proof.json").write_text(json.dumps(forged))
    code, out, _ = await run(*verifier, "proof.json", *key, env=bare, cwd=auditor)
    assert code == 1 and "does not match its hash" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["proof", "99"], "position 99 is not in the log (positions 1-6)"),
        (["proof", "0"], "position 0 is not in the log"),
        (["proof", "6"], "position 6 is not under a checkpoint yet; checkpoint sizes: 5"),
        (["consistency", "5", "2"], "OLD must be at least 1 and at most NEW"),
        (["consistency", "2", "5"], "no checkpoint of size 2; checkpoint sizes: 5"),
        (["verify", "--public-key", "/nonexistent.pem"], "--public-key /nonexistent.pem"),
    ],
    ids=["beyond", "zero", "unsealed", "old-after-new", "not-a-checkpoint", "no-key-file"],
)
async def test_bad_input_is_a_message_not_a_traceback(
    store: EventStore,
    cli: Callable[..., Awaitable[tuple[int, str, str]]],
    argv: list[str],
    message: str,
) -> None:
    await log_events(store, 5)
    assert (await cli("seal"))[0] == 0
    await log_events(store, 1)
    code, out, err = await cli(*argv)
    assert code == 2, out + err
    assert message in err
    assert "Traceback" not in err


async def test_the_standalone_verifier_refuses_a_corrupt_export_clearly(
    tmp_path: Path, outsider: tuple[Path, dict[str, str]]
) -> None:
    auditor, bare = outsider
    (auditor / "key.pem").write_text(
        "-----BEGIN PUBLIC KEY-----\n"
        "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
        "-----END PUBLIC KEY-----\n"
    )
    (auditor / "broken.ndjson").write_text(
        '{"kind": "header", "format": "khidma-audit-export/1"}\n{"kind": "event", "posit\n'
    )
    verifier = [sys.executable, "-I", str(auditor / "verify_khidma.py")]
    code, _, err = await run(
        *verifier, "broken.ndjson", "--public-key", "key.pem", env=bare, cwd=auditor
    )
    assert code == 2 and "line 2: not JSON" in err and "Traceback" not in err
