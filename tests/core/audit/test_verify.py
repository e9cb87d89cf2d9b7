"""khidma audit verify: tampering by direct SQL is detected and located, and checkpoints
rewritten in the database are caught by their copies outside it."""

from __future__ import annotations

import pytest

from khidma.core.audit import checkpoints
from khidma.core.audit.seal import Sealer
from khidma.core.audit.signing import Signer
from khidma.core.audit.verify import AuditReport, audit
from khidma.core.config import Settings
from khidma.core.events import EventStore
from khidma.core.events.hashing import canonical_metadata, chain_hash, content_hash

from .conftest import log_events, tamper

pytestmark = pytest.mark.store


async def sealed_log(store: EventStore, sealer: Sealer, n: int = 20) -> None:
    """``n`` events with a checkpoint every 5 (sealed as they come)."""
    for _ in range(n // 5):
        await log_events(store, 5)
        assert await sealer.seal_once() is not None


async def run(store: EventStore, signer: Signer, settings: Settings) -> AuditReport:
    outside = checkpoints.read_directory(settings.checkpoints_dir)
    return await audit(store.pool, signer.public_key, outside)


def kinds(report: AuditReport) -> list[tuple[int | None, str]]:
    return [(f.position, f.kind) for f in report.findings]


async def test_an_untouched_log_verifies(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await log_events(store, 3)
    report = await run(store, signer, audit_settings)
    assert report.ok, report.findings
    assert (report.events, report.checkpoints, report.sealed) == (23, 4, 20)
    assert "last 3 events are not yet under a checkpoint" in report.summary()


async def test_changed_data_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(
        store,
        "UPDATE events SET data = 'forged'"
        " WHERE event_id = (SELECT event_id FROM event_log WHERE position = 12)",
    )
    assert kinds(await run(store, signer, audit_settings)) == [(12, "altered")]


async def test_a_rewrite_with_recomputed_hashes_is_caught_by_the_checkpoints(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    """The owner rewrites event 7 and recomputes its content hash and every chain hash after."""
    await sealed_log(store, sealer)
    rows = await store.pool.fetch(
        "SELECT l.position, e.event_id, e.stream_id, e.version, e.topic, e.data, e.metadata,"
        " e.content_hash FROM event_log l JOIN events e USING (event_id) ORDER BY l.position"
    )
    previous = bytes(32)
    for position, event_id, stream, version, topic, data, metadata, stored in rows:
        if position == 7:
            data = b"forged"
            stored = content_hash(stream, version, topic, data, canonical_metadata(metadata))
            await tamper(
                store,
                "UPDATE events SET data = $2, content_hash = $3 WHERE event_id = $1",
                event_id,
                data,
                stored,
            )
        previous = chain_hash(previous, stored)
        await tamper(
            store, "UPDATE event_log SET chain_hash = $2 WHERE position = $1", position, previous
        )
    await tamper(store, "UPDATE sequencer_state SET last_chain_hash = $1", previous)
    report = await run(store, signer, audit_settings)
    assert [f.kind for f in report.findings] == ["root_mismatch"] * 3
    assert "between positions 6 and 10 was rewritten" in str(report.findings[0])


async def test_a_deleted_log_row_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "DELETE FROM event_log WHERE position = 9")
    found = kinds(await run(store, signer, audit_settings))
    assert found[0] == (9, "removed")
    assert all(kind in ("removed", "root_mismatch") for _, kind in found), found


async def test_a_deleted_event_row_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(
        store,
        "DELETE FROM events WHERE event_id = (SELECT event_id FROM event_log WHERE position = 4)",
    )
    assert kinds(await run(store, signer, audit_settings))[0] == (4, "removed")


async def test_a_deleted_tail_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "DELETE FROM event_log WHERE position > 18")
    found = kinds(await run(store, signer, audit_settings))
    assert found[:2] == [(19, "removed"), (20, "removed")]


async def test_a_removal_with_renumbering_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "DELETE FROM event_log WHERE position = 11")
    await tamper(store, "UPDATE event_log SET position = -(position - 1) WHERE position > 11")
    await tamper(store, "UPDATE event_log SET position = -position WHERE position < 0")
    await tamper(store, "UPDATE sequencer_state SET last_position = 19")
    found = kinds(await run(store, signer, audit_settings))
    assert found[0] == (11, "chain_broken")
    assert [k for _, k in found[1:]] == ["root_mismatch", "root_mismatch"]


async def test_an_inserted_row_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    stream = await store.pool.fetchval("SELECT gen_random_uuid()")
    meta = canonical_metadata({"actor_id": "clerk-7"})
    forged_hash = content_hash(stream, 1, "tests.audit:Happened", b"forged", meta)
    forged = await store.pool.fetchval(
        "INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)"
        " VALUES ($1, 1, 'tests.audit:Happened', 'forged', $2::jsonb, $3) RETURNING event_id",
        stream,
        meta,
        forged_hash,
    )
    await tamper(store, "UPDATE event_log SET position = -(position + 1) WHERE position >= 8")
    await tamper(store, "UPDATE event_log SET position = -position WHERE position < 0")
    previous = await store.pool.fetchval("SELECT chain_hash FROM event_log WHERE position = 7")
    await tamper(
        store,
        "INSERT INTO event_log (position, event_id, chain_hash) VALUES (8, $1, $2)",
        forged,
        chain_hash(previous, forged_hash),
    )
    await tamper(store, "UPDATE sequencer_state SET last_position = 21")
    found = kinds(await run(store, signer, audit_settings))
    assert found[0] == (8, "inserted")
    assert {k for _, k in found[1:]} == {"root_mismatch"}


async def test_reordered_rows_are_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "UPDATE event_log SET position = -14 WHERE position = 14")
    await tamper(store, "UPDATE event_log SET position = 14 WHERE position = 15")
    await tamper(store, "UPDATE event_log SET position = 15 WHERE position = -14")
    report = await run(store, signer, audit_settings)
    assert kinds(report)[:2] == [(14, "reordered"), (15, "reordered")]
    assert "logged at position 15" in str(report.findings[0])
    assert [k for _, k in kinds(report)[2:]] == ["root_mismatch"] * 2


async def test_reordering_at_the_start_is_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "UPDATE event_log SET position = -1 WHERE position = 1")
    await tamper(store, "UPDATE event_log SET position = 1 WHERE position = 2")
    await tamper(store, "UPDATE event_log SET position = 2 WHERE position = -1")
    assert kinds(await run(store, signer, audit_settings))[:2] == [
        (1, "reordered"),
        (2, "reordered"),
    ]


async def test_checkpoints_rewritten_in_the_database_are_caught_by_the_outside_copies(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await store.pool.execute("DELETE FROM checkpoints WHERE size = 10")
    await store.pool.execute("UPDATE checkpoints SET signature = $1 WHERE size = 15", bytes(64))
    found = [str(f) for f in (await run(store, signer, audit_settings)).findings]
    assert any("checkpoint 10 is kept outside but not in the database" in f for f in found)
    assert any("checkpoint 15 differs from its outside copy" in f for f in found)
    assert len(found) == 2


async def test_a_forged_signature_is_found(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer, 10)
    await store.pool.execute("UPDATE checkpoints SET signature = $1 WHERE size = 10", bytes(64))
    report = await audit(store.pool, signer.public_key)  # no outside copies to fall back on
    assert [str(f) for f in report.findings] == [
        "signature_invalid  checkpoint 10: signature does not verify"
    ]


async def test_events_swapped_far_apart_are_located(
    store: EventStore, sealer: Sealer, signer: Signer, audit_settings: Settings
) -> None:
    await sealed_log(store, sealer)
    await tamper(store, "UPDATE event_log SET position = -3 WHERE position = 3")
    await tamper(store, "UPDATE event_log SET position = 3 WHERE position = 18")
    await tamper(store, "UPDATE event_log SET position = 18 WHERE position = -3")
    report = await run(store, signer, audit_settings)
    assert kinds(report)[:2] == [(3, "reordered"), (18, "reordered")]
    assert [str(f).split(": ")[-1] for f in report.findings[:2]] == [
        "the event logged at position 18",
        "the event logged at position 3",
    ]
