"""Automatic persisted queries (APQ): clients send a query's SHA-256 instead of its text.

The Apollo protocol: ``extensions.persistedQuery = {version: 1, sha256Hash}``. A hash this
process has not seen answers ``PERSISTED_QUERY_NOT_FOUND``; the client then sends the text with
the hash, which is checked and kept (an LRU of ``size`` queries per process).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from .body import read_body, replayed

NOT_FOUND = {
    "message": "PersistedQueryNotFound",
    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
}
MISMATCH = {"message": "provided sha does not match query", "extensions": {"code": "BAD_REQUEST"}}


class PersistedQueries:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._queries: OrderedDict[str, str] = OrderedDict()

    def resolve(self, data: dict[str, Any]) -> dict[str, Any] | None:
        """Fill in ``query`` from its hash; an error to answer with, or None when done."""
        extensions = data.get("extensions")
        if not isinstance(extensions, dict):
            return None
        persisted = extensions.get("persistedQuery")
        if not isinstance(persisted, dict):
            return None
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str):
            return {"message": "persistedQuery.sha256Hash: expected a hex digest"}
        query = data.get("query")
        if isinstance(query, str) and query:
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                return MISMATCH
            self._queries[digest] = query
            self._queries.move_to_end(digest)
            while len(self._queries) > self.size:
                self._queries.popitem(last=False)
            return None
        known = self._queries.get(digest)
        if known is None:
            return NOT_FOUND
        self._queries.move_to_end(digest)
        data["query"] = known
        return None


class PersistedQueryMiddleware:
    """ASGI: resolves APQ hashes in POST (JSON) and GET requests before the GraphQL app."""

    def __init__(self, app: ASGIApp, queries: PersistedQueries) -> None:
        self.app = app
        self.queries = queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET":
            await self._get(scope, receive, send)
        elif scope["method"] == "POST" and _is_json(scope):
            await self._post(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = dict(parse_qsl(scope.get("query_string", b"").decode()))
        if "extensions" not in params:
            await self.app(scope, receive, send)
            return
        try:
            data: dict[str, Any] = {**params, "extensions": json.loads(params["extensions"])}
        except ValueError:
            await self.app(scope, receive, send)
            return
        error = self.queries.resolve(data)
        if error is not None:
            await _answer(send, error)
            return
        params["query"] = data.get("query", "")
        scope = {**scope, "query_string": urlencode(params).encode()}
        await self.app(scope, receive, send)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        data = None
        if b"persistedQuery" in body:  # most requests carry their query: no second parse
            try:
                data = json.loads(body)
            except ValueError:
                data = None
        if isinstance(data, dict) and "extensions" in data:
            error = self.queries.resolve(data)
            if error is not None:
                await _answer(send, error)
                return
            body = json.dumps(data).encode()
        await self.app(scope, replayed(body, receive), send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value
    return False


async def _answer(send: Send, error: dict[str, Any]) -> None:
    body = json.dumps({"errors": [error]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
