"""Appending: versions, optimistic concurrency, and bad input that writes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest

from khidma.core.events import (
    ConcurrencyError,
    EventStore,
    InvalidEventError,
    NewEvent,
    PendingEvent,
)

from .helpers import TOPIC, events, new_stream

pytestmark = pytest.mark.store


async def count_events(store: EventStore) -> int:
    return await store.pool.fetchval("SELECT count(*) FROM events")


async def test_append_then_read_stream(store: EventStore) -> None:
    stream = new_stream()
    first = await store.append(stream, events(2), 0, {"actor_id": "clerk-1", "channel": "counter"})
    await store.append(stream, events(1), 2)
    assert first.last_versions == {stream: 2}
    read = await store.read_stream(stream)
    assert [e.version for e in read] == [1, 2, 3]
    assert read[0].metadata == {"actor_id": "clerk-1", "channel": "counter"}
    assert read[2].metadata == {}
    assert [e.version for e in await store.read_stream(stream, 2, 2)] == [2]
    assert await store.version(stream) == 3


async def test_positions_follow_commit_order(store: EventStore) -> None:
    a = await store.append(new_stream(), events(3), 0)
    b = await store.append(new_stream(), events(2), 0)
    assert await store.sequenced(a) == [1, 2, 3]
    assert await store.sequenced(b) == [4, 5]
    assert await store.head() == 5


async def test_wrong_expected_version_names_both_versions(store: EventStore) -> None:
    stream = new_stream()
    await store.append(stream, events(2), 0)
    for expected in (0, 1, 3):
        with pytest.raises(ConcurrencyError) as caught:
            await store.append(stream, events(1), expected)
        assert caught.value.expected_version == expected
        assert caught.value.actual_version == 2
        assert caught.value.stream_id == stream
    assert await count_events(store) == 2


async def test_concurrent_writers_to_one_stream_exactly_one_wins_each_version(
    store: EventStore,
) -> None:
    stream = new_stream()

    async def writer(n: int) -> int:
        wins = 0
        for _ in range(15):
            version = await store.version(stream)
            try:
                await store.append(stream, events(2), version, {"actor_id": f"w{n}"})
            except ConcurrencyError:
                continue
            wins += 1
        return wins

    wins = await asyncio.gather(*(writer(n) for n in range(8)))
    read = await store.read_stream(stream)
    assert [e.version for e in read] == list(range(1, 2 * sum(wins) + 1))
    # each winning command's two events carry one writer's metadata, never interleaved
    for first, second in zip(read[::2], read[1::2], strict=True):
        assert first.metadata == second.metadata


async def test_record_many_streams_in_one_transaction(store: EventStore) -> None:
    s1, s2 = new_stream(), new_stream()
    await store.record([PendingEvent(s1, 1, TOPIC, b"a"), PendingEvent(s2, 1, TOPIC, b"b")])
    with pytest.raises(ConcurrencyError) as caught:
        await store.record([PendingEvent(s2, 2, TOPIC, b"c"), PendingEvent(s1, 1, TOPIC, b"d")])
    assert caught.value.stream_id == s1
    assert caught.value.expected_version == 0  # its version 1 was computed from none
    assert caught.value.actual_version == 1
    assert await count_events(store) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"events": []}, "events"),
        ({"events": "not a list"}, "events"),
        ({"expected_version": -1}, "expected_version"),
        ({"metadata": ["actor", "x"]}, "metadata"),
        ({"metadata": {"Actor Id": "x"}}, "metadata.Actor Id"),
        ({"metadata": {"amount": 1.5}}, "metadata.amount"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata.nested"),
        ({"metadata": {"note": "x" * 1001}}, "metadata.note"),
        ({"events": [NewEvent("", b"x")]}, "events[0].topic"),
        ({"events": [NewEvent(TOPIC, b"x"), NewEvent("has space", b"x")]}, "events[1].topic"),
        ({"events": [NewEvent(TOPIC, "text, not bytes")]}, "events[0].data"),  # type: ignore[arg-type]
        ({"events": [NewEvent(TOPIC, b"x" * 2001)]}, "events[0].data"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    store: EventStore, kwargs: dict[str, object], field: str
) -> None:
    stream = new_stream()
    await store.append(stream, events(1), 0)
    small = EventStore(
        store.pool, "unused", dataclasses.replace(store.settings, max_event_bytes=2000)
    )
    arguments: dict[str, object] = {
        "stream_id": stream,
        "events": events(1),
        "expected_version": 1,
        "metadata": None,
    } | kwargs
    with pytest.raises(InvalidEventError) as caught:
        await small.append(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert field in str(caught.value)
    assert await count_events(store) == 1


async def test_duplicate_versions_in_one_record_are_refused(store: EventStore) -> None:
    stream = uuid.uuid4()
    with pytest.raises(InvalidEventError) as caught:
        await store.record(
            [PendingEvent(stream, 1, TOPIC, b"a"), PendingEvent(stream, 1, TOPIC, b"b")]
        )
    assert caught.value.field == "events[1].version"


async def test_concurrent_appends_share_statements_and_learn_their_own_positions(
    store: EventStore,
) -> None:
    streams = [new_stream() for _ in range(40)]
    taken = new_stream()
    await store.append(taken, events(1), 0)
    appends = [
        store.append(s, events(1 + i % 4), 0, {"actor_id": f"w{i}"}) for i, s in enumerate(streams)
    ]
    appends.insert(17, store.append(taken, events(2), 0))  # stale: fails alone
    results = await asyncio.gather(*appends, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1 and isinstance(failed[0], ConcurrencyError)
    assert failed[0].actual_version == 1
    for result in results:
        if isinstance(result, BaseException):
            continue
        positions = await store.sequenced(result)
        logged = await store.pool.fetch(
            "SELECT position FROM event_log WHERE event_id = ANY($1::bigint[]) ORDER BY 1",
            list(result.event_ids),
        )
        assert positions == [r[0] for r in logged]
    assert await store.version(taken) == 1


async def test_an_append_stands_when_the_pass_after_it_fails(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    await store.sequenced(await store.append(new_stream(), events(1), 0))
    # A log row in the next position (as only tampering could put there) makes passes fail.
    async with store.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(
            "INSERT INTO event_log (position, event_id, chain_hash) VALUES (2, -1, $1)", bytes(32)
        )
    stream = new_stream()
    appended = await store.append(stream, events(2), 0)
    assert await store.version(stream) == 2  # written, and said so
    assert appended.event_ids
    assert "sequencer pass after an append failed" in caplog.text
    assert (await store.lag()).events == 2
