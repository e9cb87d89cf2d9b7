"""The ASGI application served by ``khidma serve``. For now: ``/healthz``."""

from __future__ import annotations

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from khidma.core.events import EventStore


def create_app(store: EventStore) -> Starlette:
    """Build the application around an open event store."""

    async def healthz(_request: Request) -> JSONResponse:
        try:
            head = await store.head()
            lag = await store.lag()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            return JSONResponse({"status": "unavailable", "database": str(error)}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "database": "ok",
                "log_position": head,
                "sequencer_lag": {"events": lag.events, "seconds": round(lag.seconds, 3)},
            }
        )

    return Starlette(routes=[Route("/healthz", healthz)])
