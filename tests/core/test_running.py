"""The runner the khidma commands start their event loop with."""

from __future__ import annotations

import asyncio
import gc
import importlib.util

import pytest

from khidma.core.running import GC_YOUNG, collected_rarely, run


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_runs_on_uvloop_where_installed() -> None:
    expected = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio.unix_events"
    assert run(_loop_module()).split(".")[0] == expected.split(".")[0]


def test_gives_back_the_result_and_the_error() -> None:
    async def fail() -> None:
        raise LookupError("nothing here")

    with pytest.raises(LookupError, match="nothing here"):
        run(fail())
    assert run(asyncio.sleep(0, result=42)) == 42


def test_the_collector_settings_come_back_after_serving() -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        with collected_rarely():
            assert gc.get_threshold()[0] == GC_YOUNG
        assert gc.get_threshold()[0] == 700
        assert gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*before)
