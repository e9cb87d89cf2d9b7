"""The dispatcher: outbox workers between the log and the connectors, and the callback app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette

from khidma.core.app import Khidma
from khidma.core.config import Settings

from ..connectors import Connectors
from .callbacks import callback_app
from .steps import DISPATCHER, Steps
from .watch import Watcher
from .worker import Dispatcher

__all__ = ["DISPATCHER", "Dispatcher", "Running", "Steps", "Watcher", "callback_app", "running"]


@dataclass
class Running:
    steps: Steps
    dispatcher: Dispatcher
    watcher: Watcher
    callbacks: Starlette


@contextlib.asynccontextmanager
async def running(
    khidma: Khidma, connectors: Connectors, settings: Settings
) -> AsyncIterator[Running]:
    """The dispatcher and the watcher, running while the block runs; the callback app to mount."""
    steps = Steps(khidma, connectors, settings)
    parts = Running(steps, Dispatcher(steps), Watcher(steps), callback_app(steps))
    tasks = [
        asyncio.create_task(parts.dispatcher.run(), name="khidma-dispatcher"),
        asyncio.create_task(parts.watcher.run(), name="khidma-watcher"),
    ]
    try:
        yield parts
    finally:
        await stop(*tasks)


async def stop(*tasks: asyncio.Task[None]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again if one ignored it (on Python 3.11
    ``asyncio.wait_for`` can swallow a cancellation that races its inner future)."""
    while pending := [t for t in tasks if not t.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
