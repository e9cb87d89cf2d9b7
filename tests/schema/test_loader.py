"""The loaders' DataLoader batches as strawberry's does, with fewer event-loop callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from strawberry.dataloader import DataLoader

from khidma.schema.loaders.loader import Loader


async def batches_of(kind: type[DataLoader[int, int]]) -> tuple[list[list[int]], list[int]]:
    """The batches a loader of this class makes for keys asked for at several depths."""
    batches: list[list[int]] = []

    async def load(keys: Sequence[int]) -> list[int]:
        batches.append(list(keys))
        await asyncio.sleep(0)
        return [k * 10 for k in keys]

    loader = kind(load_fn=load)

    async def nested(key: int, depth: int) -> int:
        if depth:
            return sum(await asyncio.gather(nested(key, depth - 1), loader.load(key + 100)))
        return await loader.load(key)

    got = await asyncio.gather(
        loader.load(1), loader.load(1), nested(2, 0), nested(3, 1), nested(4, 2), nested(5, 3)
    )
    got.append(await loader.load(2))  # from the cache
    got.append(await loader.load(6))  # a batch of its own
    return batches, got


async def test_the_same_batches_as_strawberry() -> None:
    ours = await batches_of(Loader)
    theirs = await batches_of(DataLoader)
    assert ours == theirs
    assert len(ours[0]) < 7  # keys were batched


async def test_fewer_callbacks_than_strawberry() -> None:
    loop = asyncio.get_running_loop()
    counted: dict[str, int] = {}
    original = loop.call_soon

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted[name] += 1
        return original(*args, **kwargs)

    loop.call_soon = counting  # type: ignore[method-assign]
    try:
        for name, kind in (("ours", Loader), ("theirs", DataLoader)):
            counted[name] = 0
            await batches_of(kind)
    finally:
        del loop.call_soon
    assert counted["ours"] < counted["theirs"]


async def test_a_batch_whose_callers_all_left_is_not_loaded() -> None:
    loaded: list[list[int]] = []

    async def load(keys: Sequence[int]) -> list[int]:
        loaded.append(list(keys))
        return list(keys)

    loader = Loader(load_fn=load)
    future = loader.load(1)
    future.cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    with pytest.raises(asyncio.CancelledError):
        await future
    assert loaded == []
    assert await loader.load(1) == 1  # a cancelled key is asked for again
