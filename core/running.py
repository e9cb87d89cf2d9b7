"""How khidma's processes run: on the fastest event loop installed, collecting garbage rarely."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
GC_YOUNG = 100_000  # allocations between collections of the youngest generation (Python's: 700)


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


@contextlib.contextmanager
def collected_rarely() -> Iterator[None]:
    """Rare garbage collections while serving (startup's objects frozen out of every scan).

    A request or a command leaves no reference cycle (see schema/execution.py), so
    collections free nothing; yet with Python's default threshold one ran about every 9
    GraphQL requests, scanning the objects of the requests in flight: 12% of the CPU of the
    served process under 32 connections (measured with gc.callbacks). What startup built
    (schema, pools, modules) lives as long as the process, so it is frozen.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
