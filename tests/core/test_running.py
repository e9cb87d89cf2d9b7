"""The runner the khidma commands start their event loop with."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from khidma.core.running import run


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
