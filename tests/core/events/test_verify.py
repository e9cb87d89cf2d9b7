"""The hash chain catches rows changed, deleted, inserted or reordered by direct SQL."""

from __future__ import annotations

import asyncpg
import pytest

from khidma.core.events import EventStore
from khidma.core.events.hashing import GENESIS, canonical_metadata, chain_hash, content_hash

from .helpers import events, new_stream

pytestmark = pytest.mark.store


async def logged(store: EventStore, n: int = 5) -> None:
    for _ in range(n):
        appended = await store.append(new_stream(), events(2), 0, {"actor_id": "a"})
        await store.sequenced(appended)


async def tamper(store: EventStore, sql: str, *args: object) -> None:
    """Change the tables as an attacker with the database's superuser would: triggers off."""
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


def kinds(report: object) -> list[tuple[int, str]]:
    return [(p.position, p.kind) for p in report.problems]  # type: ignore[attr-defined]


async def test_an_untouched_log_verifies(store: EventStore) -> None:
    await logged(store)
    report = await store.verify_chain()
    assert report.ok and report.checked == 10
    assert (await store.verify_chain(4, 7)).checked == 4


async def test_chain_matches_the_documented_formula(store: EventStore) -> None:
    await logged(store, 1)
    previous = GENESIS
    for event in await store.read_all(0, 10):
        expected = content_hash(
            event.stream_id,
            event.version,
            event.topic,
            event.data,
            canonical_metadata(event.metadata),
        )
        previous = chain_hash(previous, expected)
        stored = await store.pool.fetchval(
            "SELECT chain_hash FROM event_log WHERE position = $1", event.position
        )
        assert stored == previous


async def test_changed_data_is_located(store: EventStore) -> None:
    await logged(store)
    await tamper(
        store,
        "UPDATE events SET data = 'forged'"
        " WHERE event_id = (SELECT event_id FROM event_log WHERE position = 4)",
    )
    assert kinds(await store.verify_chain()) == [(4, "content_changed")]


async def test_changed_metadata_is_located(store: EventStore) -> None:
    await logged(store)
    await tamper(
        store,
        'UPDATE events SET metadata = \'{"actor_id": "someone else"}\''
        " WHERE event_id = (SELECT event_id FROM event_log WHERE position = 7)",
    )
    assert kinds(await store.verify_chain()) == [(7, "content_changed")]


async def test_changed_data_with_recomputed_content_hash_breaks_the_chain(
    store: EventStore,
) -> None:
    await logged(store)
    row = await store.pool.fetchrow(
        "SELECT e.event_id, stream_id, version, topic FROM events e JOIN event_log USING (event_id)"
        " WHERE position = 3"
    )
    forged = content_hash(row[1], row[2], row[3], b"forged", canonical_metadata({"actor_id": "a"}))
    await tamper(
        store,
        "UPDATE events SET data = 'forged', content_hash = $2 WHERE event_id = $1",
        row[0],
        forged,
    )
    assert kinds(await store.verify_chain()) == [(3, "chain_broken")]


async def test_deleted_row_is_located(store: EventStore) -> None:
    await logged(store)
    await tamper(store, "DELETE FROM event_log WHERE position = 6")
    assert kinds(await store.verify_chain()) == [(6, "position_missing"), (7, "chain_broken")]
    await tamper(store, "DELETE FROM event_log WHERE position = 10")
    assert (10, "position_missing") in kinds(await store.verify_chain())


async def test_inserted_row_is_located(store: EventStore) -> None:
    await logged(store)
    stream = new_stream()
    meta = canonical_metadata({})
    forged = await store.pool.fetchval(
        "INSERT INTO events (stream_id, version, topic, data, metadata, content_hash)"
        " VALUES ($1, 1, 'tests.events:Happened', 'forged', $2::jsonb, $3) RETURNING event_id",
        stream,
        meta,
        content_hash(stream, 1, "tests.events:Happened", b"forged", meta),
    )
    await tamper(store, "UPDATE event_log SET position = -position WHERE position >= 5")
    await tamper(store, "UPDATE event_log SET position = 1 - position WHERE position < 0")
    await tamper(
        store,
        "INSERT INTO event_log (position, event_id, chain_hash) VALUES (5, $1, $2)",
        forged,
        b"\x00" * 32,
    )
    found = kinds(await store.verify_chain(1, 11))
    assert found[0] == (5, "chain_broken")


async def test_reordered_rows_are_located(store: EventStore) -> None:
    await logged(store)
    await tamper(store, "UPDATE event_log SET position = -2 WHERE position = 2")
    await tamper(store, "UPDATE event_log SET position = 2 WHERE position = 3")
    await tamper(store, "UPDATE event_log SET position = 3 WHERE position = -2")
    assert kinds(await store.verify_chain()) == [
        (2, "chain_broken"),
        (3, "chain_broken"),
        (4, "chain_broken"),
    ]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE events SET data = 'x'", "DELETE FROM events", "TRUNCATE events CASCADE"],
    ids=["update", "delete", "truncate"],
)
async def test_events_are_append_only(store: EventStore, sql: str) -> None:
    await logged(store, 1)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await store.pool.execute(sql)
    assert (await store.verify_chain()).ok


async def test_a_log_row_whose_event_is_gone_is_located(store: EventStore) -> None:
    await logged(store)
    await tamper(
        store,
        "DELETE FROM events WHERE event_id = (SELECT event_id FROM event_log WHERE position = 5)",
    )
    assert kinds(await store.verify_chain()) == [(5, "content_changed")]
