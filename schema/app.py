"""The ASGI application served by ``khidma serve``.

``/graphql`` (GraphQL over HTTP and graphql-transport-ws; GraphiQL in a browser, from local
assets), ``/healthz`` (the process and the database), ``/readyz`` (the database and how far
the projections lag), ``/metrics`` (Prometheus).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from khidma.core import running
from khidma.core.app import Khidma
from khidma.core.app.directory import Directory
from khidma.core.events import EventStore
from khidma.projections.positions import Positions

from .apq import PersistedQueries, PersistedQueryMiddleware
from .auth import Tokens
from .body import read_body, replayed
from .build import build_schema
from .context import Services
from .direct import OFFERED
from .execution import LeanExecution
from .freshness import Freshness
from .graphiql import graphiql_assets, graphiql_page
from .metrics import Metrics
from .subscriptions.hub import Hub
from .view import KhidmaGraphQL

DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
READY_LAG_SECONDS = 30.0  # a projection further behind than this makes /readyz answer 503


def create_app(
    store: EventStore,
    dsn: str | None = None,
    *,
    positions: Positions | None = None,
    khidma: Khidma | None = None,
    tokens: Tokens | None = None,
) -> Starlette:
    """Build the application around an open event store.

    ``dsn`` is for the LISTEN connection of subscriptions (default: the settings' URL);
    ``positions`` is the projection worker's when it runs in this process.
    """
    settings = store.settings
    url = dsn or settings.database_url
    if url is None:
        raise ValueError("create_app needs the database URL (dsn) for subscriptions")
    positions = positions or Positions(store)
    commands = khidma or Khidma(store)
    services = Services(
        store=store,
        khidma=commands,
        tokens=tokens or Tokens(settings),
        freshness=Freshness(store, positions),
        directory=Directory(commands.runner),
        hub=Hub(store, url, settings, positions),
        settings=settings,
    )
    schema = build_schema(settings)
    schema.execution_context_class = LeanExecution
    graphql = KhidmaGraphQL(schema, services)
    persisted = PersistedQueryMiddleware(graphql, PersistedQueries())
    metrics = Metrics(store)

    graphql_http = _GraphQLHttp(persisted, graphql)

    async def healthz(_request: Request) -> JSONResponse:
        try:
            head = await store.head()
            lag = await store.lag()
        except DB_ERRORS as error:
            return JSONResponse({"status": "unavailable", "database": str(error)}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "database": "ok",
                "log_position": head,
                "sequencer_lag": {"events": lag.events, "seconds": round(lag.seconds, 3)},
            }
        )

    async def readyz(_request: Request) -> JSONResponse:
        try:
            lags = await metrics.projection_lags()
        except DB_ERRORS as error:
            return JSONResponse({"status": "unavailable", "database": str(error)}, status_code=503)
        behind = sorted(name for name, (_, seconds) in lags.items() if seconds > READY_LAG_SECONDS)
        body = {
            "status": "behind" if behind else "ready",
            "database": "ok",
            "projections": {
                name: {"events": events, "seconds": round(seconds, 3)}
                for name, (events, seconds) in lags.items()
            },
        }
        return JSONResponse(body, status_code=503 if behind else 200)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await services.hub.start()
        try:
            with running.collected_rarely():
                yield
        finally:
            await services.hub.close()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_http, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            graphiql_assets(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.graphql = graphql
    app.add_middleware(_Measured, metrics=metrics)
    return app


class _Measured:
    """Starlette middleware adapter for :meth:`Metrics.middleware`."""

    def __init__(self, app: object, metrics: Metrics) -> None:
        self._app = metrics.middleware(app)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


class _GraphQLHttp:
    """``/graphql`` over HTTP: GraphiQL for a browser asking for a page, else GraphQL.

    A POST is read here once and offered to the view's short way first (no APQ hash in it,
    so the APQ middleware would pass it on untouched); whatever that leaves goes through the
    APQ middleware and strawberry with the body it read.
    """

    def __init__(self, graphql: ASGIApp, view: KhidmaGraphQL) -> None:
        self.graphql = graphql
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        direct = self.view.direct
        if method == "POST" and direct is not None:
            body = await read_body(receive)
            if b"persistedQuery" not in body:
                try:
                    response = await direct.answer(Request(scope), body)
                except HTTPException as error:
                    response = PlainTextResponse(error.reason, status_code=error.status_code)
                if response is not None:
                    await response(scope, receive, send)
                    return
                scope = {**scope, OFFERED: True}  # the view need not offer it again
            receive = replayed(body, receive)
        elif method == "GET":  # only a GET can be a browser asking for the page
            request = Request(scope)
            wants_page = "text/html" in request.headers.get("accept", "")
            if wants_page and "query" not in request.query_params:
                await graphiql_page()(scope, receive, send)
                return
        await self.graphql(scope, receive, send)
