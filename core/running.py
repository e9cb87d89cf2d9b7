"""Running khidma's processes on the fastest event loop installed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on uvloop where it is installed (``uvicorn[standard]`` brings it
    on Linux and macOS), else on asyncio's own loop.

    The server's work is many small steps between network reads and writes (a command, a
    statement, a query's loaders): uvloop does each loop turn and socket call in C.
    """
    try:
        import uvloop
    except ImportError:  # Windows: uvicorn[standard] does not bring it there
        return asyncio.run(main)
    return uvloop.run(main)
