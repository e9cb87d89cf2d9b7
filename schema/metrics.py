"""/metrics for Prometheus: HTTP requests and latency, projection lag, dispatcher failures."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.utils import get_topic
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from khidma.core.domain.dispatch import Dispatch
from khidma.core.events import EventStore
from khidma.projections.registry import projections
from khidma.projections.runner import Runner

FAILURES = [get_topic(Dispatch.DispatchFailed), get_topic(Dispatch.NotificationFailed)]


class Metrics:
    """One registry per app (tests build several apps in a process)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "khidma_http_requests", "HTTP requests served", ["path", "method", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "khidma_http_request_seconds", "HTTP request latency", ["path"],
            registry=self.registry,
        )  # fmt: skip
        self.lag_events = Gauge(
            "khidma_projection_lag_events", "events the projection has yet to apply",
            ["projection"], registry=self.registry,
        )  # fmt: skip
        self.lag_seconds = Gauge(
            "khidma_projection_lag_seconds", "age of the oldest event not yet applied",
            ["projection"], registry=self.registry,
        )  # fmt: skip
        self.sequencer_lag = Gauge(
            "khidma_sequencer_lag_events", "events committed but not yet logged",
            registry=self.registry,
        )  # fmt: skip
        self.dispatch_failures = Counter(
            "khidma_dispatcher_failures", "failed dispatcher attempts and notifications",
            registry=self.registry,
        )  # fmt: skip
        self._runners = [Runner(store, p) for p in projections()]
        self._failures_seen = 0
        # labelled children, looked up once per label set (``labels()`` takes a lock each time)
        self._latency_of: dict[str, Any] = {}
        self._count_of: dict[tuple[str, str, int], Any] = {}

    async def projection_lags(self) -> dict[str, tuple[int, float]]:
        return {r.name: (lag.events, lag.seconds) for r in self._runners if (lag := await r.lag())}

    async def endpoint(self, _request: Request) -> Response:
        for name, (events, seconds) in (await self.projection_lags()).items():
            self.lag_events.labels(name).set(events)
            self.lag_seconds.labels(name).set(seconds)
        self.sequencer_lag.set((await self.store.lag()).events)
        while True:
            found = await self.store.read_all(self._failures_seen, 1000, FAILURES)
            self.dispatch_failures.inc(len(found))
            if found:
                self._failures_seen = found[-1].position or self._failures_seen
            if len(found) < 1000:
                break
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            path = _route(scope["path"])
            status = 500
            started = time.perf_counter()

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                self._latency(path).observe(time.perf_counter() - started)
                self._count(path, scope["method"], status).inc()

        return measured

    def _latency(self, path: str) -> Any:
        child = self._latency_of.get(path)
        if child is None:
            child = self._latency_of[path] = self.latency.labels(path)
        return child

    def _count(self, path: str, method: str, status: int) -> Any:
        key = (path, method, status)
        child = self._count_of.get(key)
        if child is None:
            child = self._count_of[key] = self.requests.labels(path, method, str(status))
        return child


def _route(path: str) -> str:
    """A bounded label: the first segment of the path."""
    first = path.strip("/").split("/", 1)[0]
    return (
        f"/{first}"
        if first in {"graphql", "graphiql", "healthz", "readyz", "metrics"}
        else "/other"
    )
