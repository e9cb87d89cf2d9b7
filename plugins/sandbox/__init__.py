"""``khidma sandbox``: a local simulator of the agencies, the payment provider, the post, SMS."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn

from khidma.core.config import Settings

from .app import create_sandbox
from .state import Knobs, Sandbox

__all__ = ["Knobs", "Sandbox", "create_sandbox", "run_sandbox", "sandbox_server"]


def _server(settings: Settings, host: str, port: int, defaults: Knobs | None) -> uvicorn.Server:
    app = create_sandbox(settings.callback_secret, defaults)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    return uvicorn.Server(config)


async def run_sandbox(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int | None = None,
    defaults: Knobs | None = None,
) -> None:
    """Serve the sandbox until interrupted."""
    await _server(settings, host, port or settings.sandbox_port, defaults).serve()


@contextlib.contextmanager
def _no_signals() -> Iterator[None]:
    yield


@contextlib.asynccontextmanager
async def sandbox_server(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int | None = None,
    defaults: Knobs | None = None,
) -> AsyncIterator[str]:
    """Serve the sandbox in this event loop while the block runs; yields its base URL."""
    if port is None:
        port = settings.sandbox_port
    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    server = _server(settings, host, port, defaults)
    server.capture_signals = _no_signals  # type: ignore[method-assign]  # the host handles them
    task = asyncio.create_task(server.serve(), name="khidma-sandbox")
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the sandbox stopped before it started")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
