"""Lender: statements on lent connections, which go back to the pool when unused or in doubt."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from khidma.core.config import Settings
from khidma.core.events.database import create_pool
from khidma.core.events.lending import Lender

pytestmark = pytest.mark.store

POOL = 4


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    settings = Settings(
        database_url=database_url, db_schema="public", pool_min_size=1, pool_max_size=POOL
    )
    pool = await create_pool(database_url, settings)
    yield pool
    async with asyncio.timeout(10):  # a connection still lent out would make this hang
        await pool.close()


def in_use(pool: asyncpg.Pool) -> int:
    """Connections the pool has handed out (lent ones count: the pool cannot give them)."""
    return pool.get_size() - pool.get_idle_size()


async def until_back(pool: asyncpg.Pool, timeout: float = 30) -> None:
    """Wait until every connection is back in the pool (a give-back is a task, and the pool
    resets or closes the connection on its way back: a round trip to the server)."""
    async with asyncio.timeout(timeout):
        while in_use(pool):  # noqa: ASYNC110 (the pool signals no connection's return)
            await asyncio.sleep(0.01)


async def test_statements_answer_and_reuse_one_connection(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=2)
    pids = {await lender.fetchval("SELECT pg_backend_pid()") for _ in range(20)}
    assert len(pids) == 1
    assert await lender.fetchrow("SELECT 1 AS one, 'a' AS letter") == (1, "a")
    assert [tuple(r) for r in await lender.fetch("SELECT * FROM generate_series(1, 3)")] == [
        (1,),
        (2,),
        (3,),
    ]
    assert await lender.execute("SELECT 1") == "SELECT 1"
    assert lender.idle == 1 and in_use(pool) == 1
    await lender.close()
    assert lender.idle == 0 and in_use(pool) == 0


async def test_a_failed_statement_gives_its_connection_back_to_the_pool(
    pool: asyncpg.Pool,
) -> None:
    lender = Lender(pool, size=2)
    await lender.fetchval("SELECT 1")
    with pytest.raises(asyncpg.UndefinedTableError):
        await lender.fetch("SELECT * FROM no_such_table_here")
    assert lender.idle == 0 and in_use(pool) == 0
    assert await lender.fetchval("SELECT 41 + 1") == 42  # the next one gets a connection again
    await lender.close()


async def test_a_cancelled_statement_gives_its_connection_back(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=2)
    task = asyncio.create_task(lender.fetchval("SELECT pg_sleep(30)"))
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lender.idle == 0 and in_use(pool) == 0
    assert await lender.fetchval("SELECT 'still answering'") == "still answering"
    await lender.close()


async def test_at_most_size_connections_are_held(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=2)
    running = [lender.fetchval("SELECT $1::int FROM pg_sleep(0.1)", i) for i in range(POOL)]
    assert await asyncio.gather(*running) == list(range(POOL))
    assert lender.held == 2 and lender.idle == 2 and in_use(pool) == 2
    await lender.close()
    assert lender.held == 0 and in_use(pool) == 0


async def test_a_freed_connection_goes_to_the_longest_waiter(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=1)
    finished: list[str] = []
    backends: set[int] = set()

    async def statement(name: str) -> None:
        backends.add(await lender.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.05)"))
        finished.append(name)

    first = [asyncio.create_task(statement(name)) for name in "abc"]
    await asyncio.sleep(0.02)  # a runs, b and c wait
    later = asyncio.create_task(statement("d"))  # arrives while they wait: goes after them
    await asyncio.gather(*first, later)
    assert finished == ["a", "b", "c", "d"]
    assert len(backends) == 1  # one connection, handed from each to the next
    await lender.close()


async def test_a_waiter_that_gives_up_loses_no_connection(
    pool: asyncpg.Pool, database_url: str
) -> None:
    lender = Lender(pool, size=1)
    key = uuid.uuid4().int >> 65  # a lock of this test's own: it keeps ``running`` running
    blocker = await asyncpg.connect(database_url)
    try:
        await blocker.execute("SELECT pg_advisory_lock($1)", key)
        running = asyncio.create_task(
            lender.fetchval("SELECT 1 FROM pg_advisory_xact_lock($1)", key)
        )
        await asyncio.sleep(0)  # its first step takes the one connection
        assert lender.held == 1
        waiting = asyncio.create_task(lender.fetchval("SELECT 2"))
        await asyncio.sleep(0)  # its first step queues it for the connection
        waiting.cancel()
        await blocker.execute("SELECT pg_advisory_unlock($1)", key)
    finally:
        await blocker.close()
    assert await running == 1
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert lender.held == 1 and lender.idle == 1
    assert await lender.fetchval("SELECT 3") == 3
    await lender.close()
    assert in_use(pool) == 0


async def test_a_waiter_takes_the_place_of_a_failed_statement(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=1)
    failing = asyncio.create_task(lender.fetch("SELECT pg_sleep(0.1), 1/0"))
    await asyncio.sleep(0.03)
    assert await lender.fetchval("SELECT 'after'") == "after"  # waited, then got its own
    with pytest.raises(asyncpg.DivisionByZeroError):
        await failing
    assert lender.held == 1
    await lender.close()


async def test_unused_connections_go_back_after_linger(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=2, linger=0.1)
    await lender.fetchval("SELECT 1")
    assert in_use(pool) == 1
    await until_back(pool)
    assert lender.idle == 0 and in_use(pool) == 0
    await lender.close()


async def test_a_closed_lender_lends_nothing_more(pool: asyncpg.Pool) -> None:
    lender = Lender(pool)
    await lender.fetchval("SELECT 1")
    await lender.close()
    with pytest.raises(asyncpg.InterfaceError):
        await lender.fetchval("SELECT 1")
    assert in_use(pool) == 0


async def test_a_connection_the_server_ended_is_not_lent_again(
    pool: asyncpg.Pool, database_url: str
) -> None:
    lender = Lender(pool, size=2, linger=60)
    ended = await lender.fetchval("SELECT pg_backend_pid()")
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", ended)
    finally:
        await conn.close()
    await asyncio.sleep(0.3)  # for the event loop to see the socket close
    assert await lender.fetchval("SELECT pg_backend_pid()") != ended
    assert lender.held == 1
    await lender.close()


async def test_expire_gives_back_the_idle_connections(pool: asyncpg.Pool) -> None:
    lender = Lender(pool, size=2)
    await lender.fetchval("SELECT 1")
    await pool.expire_connections()
    lender.expire()
    assert lender.held == 0
    await until_back(pool)
    assert in_use(pool) == 0
    assert await lender.fetchval("SELECT 2") == 2
    await lender.close()


async def test_a_give_back_cancelled_before_it_ran_still_reaches_the_pool(
    pool: asyncpg.Pool,
) -> None:
    """A shutdown that cancels every task of the loop must not leave a connection lent out."""
    lender = Lender(pool, size=2)
    await lender.fetchval("SELECT 1")
    lender.expire()  # queues the connection's return to the pool as a task
    me = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not me:
            task.cancel()  # before the task's first step, as asyncio.run's shutdown does
    await lender.close()  # returns once the connection is back
    assert lender.held == 0 and in_use(pool) == 0
