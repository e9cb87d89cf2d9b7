"""An end-to-end world: the seeded request world, the sandbox over HTTP, the callback app
served by uvicorn, and the dispatcher and watcher running against the real store."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import uvicorn

from khidma.core.app import Khidma
from khidma.core.config import Settings
from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.request import ServiceRequest
from khidma.core.events import EventStore
from khidma.plugins.connectors import Connectors
from khidma.plugins.dispatch import Running, running
from khidma.plugins.manager import create_manager
from tests.core.app.request_world import World, seed
from tests.ports import free_port

from .conftest import SandboxControl, plugin_settings


class _Quiet(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield


@contextlib.asynccontextmanager
async def served(app: Any, port: int) -> AsyncIterator[str]:
    server = _Quiet(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the server stopped before it started"
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclasses.dataclass
class Flow:
    """The running pieces of one end-to-end test."""

    world: World
    store: EventStore
    sandbox: SandboxControl
    settings: Settings
    parts: Running
    callbacks: str

    async def until(
        self, check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0
    ) -> None:
        """Wait until ``check()`` holds (a generous bound so a broken flow fails, not hangs)."""
        # A deadline, not asyncio.timeout: on 3.11 a cancellation racing wait_for can be lost.
        deadline = asyncio.get_running_loop().time() + timeout
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.05)

    async def status(self, number: str) -> str:
        return (await self.world.load(number)).status.value

    async def reaches(self, number: str, *statuses: str, timeout: float = 20.0) -> str:
        async def check() -> bool:
            return await self.status(number) in statuses

        try:
            await self.until(check, f"{number} in {statuses}", timeout)
        except TimeoutError:
            raise AssertionError(
                f"{number} stuck in {await self.status(number)}; events: "
                f"{await self.world.topics(number)} {await self.dispatch_topics(number)}"
            ) from None
        return await self.status(number)

    async def dispatch(self, number: str) -> Dispatch | None:
        return await self.world.khidma.outbox.dispatch(number)

    async def dispatch_topics(self, number: str) -> list[str]:
        records = await self.store.read_stream(Dispatch.id_for(number))
        return [r.topic.rsplit(".", 1)[-1] for r in records]

    async def request(self, number: str) -> ServiceRequest:
        return await self.world.load(number)

    async def pay(self, number: str, bank: str = "bemo") -> None:
        """The citizen opens the payment page from the notification and pays."""

        async def started() -> bool:
            found = await self.dispatch(number)
            return found is not None and found.payment is not None

        await self.until(started, f"{number}: payment page")
        dispatch = await self.dispatch(number)
        assert dispatch is not None and dispatch.payment is not None
        async with httpx.AsyncClient() as client:
            paid = await client.post(dispatch.payment["page_url"], data={"bank": bank})
            assert paid.status_code == 200, paid.text


@contextlib.asynccontextmanager
async def flow(
    store: EventStore, settings: Settings, sandbox: SandboxControl, **changes: Any
) -> AsyncIterator[Flow]:
    port = free_port()
    configured = plugin_settings(
        settings, sandbox.url, callback_url=f"http://127.0.0.1:{port}/callbacks", **changes
    )
    khidma = Khidma(store)
    world = await seed(khidma)
    connectors = Connectors(create_manager(configured, entry_points=False), configured)
    async with (
        running(khidma, connectors, configured) as parts,
        served(_mounted(parts), port) as url,
    ):
        yield Flow(world, store, sandbox, configured, parts, f"{url}/callbacks")


def _mounted(parts: Running) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    return Starlette(routes=[Mount("/callbacks", parts.callbacks)])
