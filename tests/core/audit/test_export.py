"""``khidma audit export`` read back by the standalone verifier, with no database: an intact
export verifies, and an export changed line by line is caught at the changed line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from khidma.core.audit import checkpoints
from khidma.core.audit.checkpoints import Checkpoint
from khidma.core.audit.export import export
from khidma.core.audit.seal import Sealer
from khidma.core.audit.signing import Signer
from khidma.core.audit.standalone import Unusable, verify_export
from khidma.core.events import EventStore

from .conftest import log_events

pytestmark = pytest.mark.store


@pytest.fixture
async def exported(store: EventStore, sealer: Sealer, tmp_path: Path) -> list[str]:
    """An export of 12 events under checkpoints at 5 and 10; its lines."""
    for _ in range(2):
        await log_events(store, 5)
        await sealer.seal_once()
    await log_events(store, 2)
    path = tmp_path / "export.ndjson"
    with path.open("wb") as out:
        assert await export(store.pool, out) == (12, 2)
    return path.read_text().splitlines()


def check(lines: list[str], signer: Signer, tmp_path: Path, *own: Checkpoint) -> list[str]:
    path = tmp_path / "changed.ndjson"
    path.write_text("\n".join(lines) + "\n")
    return verify_export(path, signer.public_key, [c.head for c in own]).lines


def event_line(lines: list[str], position: int) -> int:
    for i, line in enumerate(lines):
        record = json.loads(line)
        if record["kind"] == "event" and record["position"] == position:
            return i
    raise AssertionError(position)


async def test_an_intact_export_verifies(
    exported: list[str], signer: Signer, tmp_path: Path, store: EventStore
) -> None:
    kinds = [json.loads(line)["kind"] for line in exported]
    assert kinds == ["header", "checkpoint", "checkpoint", "consistency"] + ["event"] * 12 + ["end"]
    own = await checkpoints.all_checkpoints(store.pool)
    path = tmp_path / "export.ndjson"
    found = verify_export(path, signer.public_key, [c.head for c in own])
    assert found.lines == []
    assert found.checked == (
        "12 events, 2 checkpoints, 1 consistency proofs;"
        " the last 2 events are not yet under a checkpoint"
    )


def test_a_changed_event_is_located(exported: list[str], signer: Signer, tmp_path: Path) -> None:
    i = event_line(exported, 7)
    record = json.loads(exported[i])
    record["data"] = base64.b64encode(b"forged").decode()
    exported[i] = json.dumps(record)
    assert check(exported, signer, tmp_path) == [
        f"line {i + 1}: event at position 7 altered (its fields do not match its content hash)"
    ]


def test_a_changed_event_with_its_hashes_recomputed_fails_the_checkpoint(
    exported: list[str], signer: Signer, tmp_path: Path
) -> None:
    from khidma.core.audit.standalone import chain_hash, event_content_hash

    previous = bytes(32)
    for i, line in enumerate(exported):
        record = json.loads(line)
        if record["kind"] != "event":
            continue
        if record["position"] == 3:
            record["metadata"] = '{"actor_id":"someone else"}'
            record["content_hash"] = event_content_hash(record).hex()
        previous = chain_hash(previous, bytes.fromhex(record["content_hash"]))
        record["chain_hash"] = previous.hex()
        exported[i] = json.dumps(record)
    found = check(exported, signer, tmp_path)
    # the checkpoints themselves are genuine and consistent; the events no longer match them
    assert [f.split(":")[0] for f in found] == ["checkpoint 5", "checkpoint 10"]
    assert "events 1-5 (to line 9) do not have its signed root" in found[0]


def test_a_removed_event_is_located(exported: list[str], signer: Signer, tmp_path: Path) -> None:
    i = event_line(exported, 4)
    del exported[i]
    found = check(exported, signer, tmp_path)
    assert found[0] == f"line {i + 1}: position 5 where 4 was due: position 4 is missing (removed)"
    assert any("end record counts 12 events, the export has 11" in f for f in found)


def test_an_inserted_event_is_located(exported: list[str], signer: Signer, tmp_path: Path) -> None:
    i = event_line(exported, 6)
    exported.insert(i, exported[i])
    found = check(exported, signer, tmp_path)
    assert found[0] == (f"line {i + 2}: position 6 where 7 was due: position 7 is out of order")
    assert any("chain hash does not follow" in f for f in found)


def test_reordered_events_are_located(exported: list[str], signer: Signer, tmp_path: Path) -> None:
    i, j = event_line(exported, 8), event_line(exported, 9)
    exported[i], exported[j] = exported[j], exported[i]
    found = check(exported, signer, tmp_path)
    assert found[0] == f"line {i + 1}: position 9 where 8 was due: position 8 is missing (removed)"
    assert found[1].startswith(f"line {i + 1}: event at position 9: chain hash does not follow")
    assert found[2].startswith(f"line {j + 1}: position 8 where 10 was due")


def test_a_truncated_export_is_noticed(exported: list[str], signer: Signer, tmp_path: Path) -> None:
    assert check(exported[:-3], signer, tmp_path) == ["no end record: the export is truncated"]


async def test_a_history_rewritten_with_the_key_differs_from_the_auditors_copy(
    exported: list[str], signer: Signer, tmp_path: Path, store: EventStore
) -> None:
    """The owner, who has the key, re-signs checkpoint 5 over another root: the copy an auditor
    kept from before shows it."""
    kept = (await checkpoints.all_checkpoints(store.pool))[0]
    i = next(n for n, line in enumerate(exported) if '"size":5' in line)
    record = json.loads(exported[i])
    forged_root = bytes(32)
    record["root"] = forged_root.hex()
    record["signature"] = signer.sign(5, forged_root, record["signed_at_us"]).hex()
    exported[i] = json.dumps(record)
    found = check(exported, signer, tmp_path, kept)
    assert "checkpoint 5 differs from your copy: history was rewritten" in found


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"kind": "event", "position": 1}', "line 2: malformed event record ('content_hash')"),
        ("[1, 2]", "line 2: not a record with a kind"),
        ('{"kind": "checkpoint", "size": 5}', "line 2: malformed checkpoint record"),
        ('{"kind": "mystery"}', "line 2: unknown kind 'mystery'"),
        ('{"kind": "event", "position": 1, "content_hash": "zz"', "line 2: not JSON"),
    ],
)
def test_corrupt_lines_are_named(signer: Signer, tmp_path: Path, line: str, message: str) -> None:
    header = '{"kind": "header", "format": "khidma-audit-export/1"}'
    with pytest.raises(Unusable) as raised:
        check([header, line], signer, tmp_path)
    assert message in str(raised.value)


def test_checkpoints_after_the_events_are_refused(
    exported: list[str], signer: Signer, tmp_path: Path
) -> None:
    moved = [exported[0], *exported[4:-1], exported[1], exported[-1]]
    with pytest.raises(Unusable, match="a checkpoint after the events"):
        check(moved, signer, tmp_path)
