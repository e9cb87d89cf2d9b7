"""The composition root: wires the database, the store and (later) plugins and workers."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import Khidma
from .app.demo import DemoSummary, load_demo
from .audit.seal import Sealer
from .audit.signing import load_signer
from .config import Settings
from .events.store import EventStore, open_store


async def load_demo_data(dsn: str, settings: Settings) -> DemoSummary:
    """Migrate, then load the demo through the command handlers (nothing new if loaded)."""
    async with open_store(dsn, settings) as store:
        return await load_demo(Khidma(store))


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising SIGTERM after shutdown: we still have a database to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


@contextlib.asynccontextmanager
async def dispatching(store: EventStore, settings: Settings) -> AsyncIterator[ASGIApp]:
    """The dispatcher and its watcher over the plugins, running; yields the callback app."""
    from khidma.plugins.connectors import Connectors
    from khidma.plugins.dispatch import running
    from khidma.plugins.manager import create_manager

    connectors = Connectors(create_manager(settings), settings)
    async with running(Khidma(store), connectors, settings) as parts:
        yield parts.callbacks


def with_callbacks(app: ASGIApp, callbacks: ASGIApp) -> ASGIApp:
    """``/callbacks/…`` to the callback app (agencies, payments); the rest, lifespan too, to app."""

    async def combined(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/callbacks/"):
            root = scope.get("root_path", "") + "/callbacks"
            await callbacks({**scope, "root_path": root}, receive, send)
        else:
            await app(scope, receive, send)

    return combined


async def run_dispatcher(dsn: str, settings: Settings, host: str, port: int) -> None:
    """``khidma dispatch``: the dispatcher, the watcher and the callback endpoints only."""
    async with open_store(dsn, settings) as store, dispatching(store, settings) as callbacks:
        config = uvicorn.Config(
            with_callbacks(_not_found, callbacks),
            host=host,
            port=port,
            log_level="info",
            lifespan="off",
        )
        await _Server(config).serve()


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def serve(
    dsn: str,
    settings: Settings,
    host: str,
    port: int,
    workers: bool = True,
    sandbox: bool = False,
) -> None:
    """Run the HTTP API, the background sequencer and (unless ``workers`` is False, when
    ``khidma worker`` processes run them) the projections until SIGINT or SIGTERM."""
    from khidma.projections.worker import ProjectionWorker
    from khidma.schema.app import create_app

    async with open_store(dsn, settings) as store:
        sequencer = asyncio.create_task(
            store.sequencer.run_forever(settings.sequencer_interval, store.appended),
            name="khidma-sequencer",
        )
        sealer = asyncio.create_task(
            Sealer(store, settings, load_signer(settings)).run_forever(), name="khidma-sealer"
        )
        projections = ProjectionWorker(store) if workers else None
        if projections is not None:
            await projections.start()
        try:
            app = create_app(store, dsn, positions=projections.positions if projections else None)
            async with contextlib.AsyncExitStack() as stack:
                if sandbox:  # the demo: agencies, payments and the post simulated on loopback
                    from khidma.plugins.sandbox import Knobs, sandbox_server

                    knobs = Knobs(callback_delay=3.0, rejection_rate=0.1, auto_pay=True)
                    await stack.enter_async_context(sandbox_server(settings, defaults=knobs))
                if workers:
                    callbacks = await stack.enter_async_context(dispatching(store, settings))
                    app = with_callbacks(app, callbacks)
                config = uvicorn.Config(app, host=host, port=port, log_level="info")
                await _Server(config).serve()
        finally:
            if projections is not None:
                await projections.stop()
            sequencer.cancel()
            sealer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sequencer
            with contextlib.suppress(asyncio.CancelledError):
                await sealer
