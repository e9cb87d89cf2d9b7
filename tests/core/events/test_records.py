"""Records from concurrent commands share statements, and each keeps its own outcome."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest

from khidma.core.events import (
    Appended,
    CommandRecord,
    ConcurrencyError,
    DuplicateCommandError,
    EventStore,
    PendingEvent,
)

from .helpers import TOPIC

pytestmark = pytest.mark.store


def record(
    store: EventStore, stream: UUID, key: str, versions: range = range(1, 3), first: int = 0
) -> asyncio.Future[Appended]:
    events = [PendingEvent(stream, v, TOPIC, f"{key}:{v}".encode()) for v in versions]
    command = CommandRecord(key, "submit_request", "actor-1", {"key": key})
    return asyncio.ensure_future(store.record(events, {"actor_id": key}, command=command))


async def events_of(store: EventStore, appended: Appended) -> list[tuple[UUID, int, bytes]]:
    rows = await store.pool.fetch(
        "SELECT stream_id, version, data FROM events WHERE event_id = ANY($1::bigint[])"
        " ORDER BY event_id",
        list(appended.event_ids),
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_concurrent_records_share_one_statement_and_get_their_own_events(
    store: EventStore,
) -> None:
    streams = [uuid4() for _ in range(24)]
    done = await asyncio.gather(*(record(store, s, f"key-{i}") for i, s in enumerate(streams)))
    assert len({a.tx_id for a in done}) < len(done)  # grouped into shared transactions
    for i, (stream, appended) in enumerate(zip(streams, done, strict=True)):
        assert await events_of(store, appended) == [
            (stream, 1, f"key-{i}:1".encode()),
            (stream, 2, f"key-{i}:2".encode()),
        ]
        assert appended.last_versions == {stream: 2}
    keys = await store.pool.fetchval("SELECT count(*) FROM commands")
    assert keys == len(streams)


async def test_positions_of_grouped_records_are_their_own(store: EventStore) -> None:
    done = await asyncio.gather(*(record(store, uuid4(), f"key-{i}") for i in range(12)))
    for appended in done:
        positions = await store.sequenced(appended)
        rows = await store.pool.fetch(
            "SELECT event_id FROM event_log WHERE position = ANY($1::bigint[]) ORDER BY position",
            positions,
        )
        assert tuple(r[0] for r in rows) == appended.event_ids


async def test_a_stale_record_fails_alone_in_its_group(store: EventStore) -> None:
    contested = uuid4()
    calls = [record(store, uuid4(), f"other-{i}") for i in range(6)]
    calls += [record(store, contested, "first"), record(store, contested, "second")]
    calls += [record(store, uuid4(), f"later-{i}") for i in range(6)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], ConcurrencyError)
    assert failed[0].stream_id == contested
    assert await store.pool.fetchval("SELECT count(*) FROM events") == 2 * 13
    assert await store.pool.fetchval("SELECT count(*) FROM commands") == 13
    written = await store.pool.fetchval(
        "SELECT count(DISTINCT data) FROM events WHERE stream_id = $1", contested
    )
    assert written == 2  # one record's two events, not a mix


async def test_a_reused_key_fails_alone_in_its_group(store: EventStore) -> None:
    calls = [record(store, uuid4(), f"key-{i}") for i in range(5)]
    calls += [record(store, uuid4(), "key-2")]
    results = await asyncio.gather(*calls, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], DuplicateCommandError)
    assert await store.pool.fetchval("SELECT count(*) FROM events") == 2 * 5
    assert await store.pool.fetchval("SELECT count(*) FROM commands") == 5


async def test_a_record_behind_the_stream_fails_alone_and_the_rest_share_a_statement(
    store: EventStore,
) -> None:
    moved_on = uuid4()
    await record(store, moved_on, "earlier")  # the stream is at version 2
    calls = [record(store, uuid4(), f"key-{i}") for i in range(8)]
    calls.insert(4, record(store, moved_on, "stale"))  # computed from version 0
    results = await asyncio.gather(*calls, return_exceptions=True)
    stale = results.pop(4)
    assert isinstance(stale, ConcurrencyError)
    assert (stale.stream_id, stale.actual_version) == (moved_on, 2)
    assert all(isinstance(r, Appended) for r in results)
    assert len({r.tx_id for r in results if isinstance(r, Appended)}) < len(results)
    assert (
        await store.pool.fetchval("SELECT count(*) FROM commands WHERE idempotency_key = 'stale'")
        == 0
    )


async def test_a_record_over_two_streams_is_written_whole_or_not_at_all(
    store: EventStore,
) -> None:
    fresh, moved_on = uuid4(), uuid4()
    await record(store, moved_on, "earlier")
    both = [
        PendingEvent(fresh, 1, TOPIC, b"fresh"),
        PendingEvent(moved_on, 1, TOPIC, b"stale"),  # version 1 is taken
    ]
    command = CommandRecord("both", "submit_request", "actor-1", {})
    calls = [record(store, uuid4(), f"key-{i}") for i in range(4)]
    calls.append(asyncio.ensure_future(store.record(both, {}, command=command)))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[-1], ConcurrencyError)
    assert await store.pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", fresh) == 0
