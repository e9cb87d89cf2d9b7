"""The GraphQL endpoint: bearer tokens to actors, a Context per request, WebSocket auth.

Subscriptions speak graphql-transport-ws only (the legacy graphql-ws protocol is off). A
WebSocket client sends its token in ``connection_init``'s payload as ``Authorization``.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET

from khidma.core.app import Actor

from .auth import TokenError
from .context import Context, Services
from .direct import OFFERED, Direct
from .loaders import Loaders


class KhidmaGraphQL(GraphQL):  # type: ignore[type-arg]
    def __init__(self, schema: BaseSchema, services: Services) -> None:
        super().__init__(
            schema,
            graphql_ide=None,  # GraphiQL is served from local assets (graphiql.py)
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            keep_alive=True,
            keep_alive_interval=15,
        )
        self.services = services
        self.direct = Direct.for_view(self)

    async def run(  # type: ignore[override]
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Response | WebSocket:
        plain = isinstance(request, Request) and context is UNSET and root_value is UNSET
        if plain and self.direct is not None and OFFERED not in request.scope:
            answer = await self.direct.answer(request)  # type: ignore[arg-type]
            if answer is not None:
                return answer
        return await super().run(request, context, root_value)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """What strawberry's makes (a response without status, headers or body, for resolvers
        to set), without rendering an empty body and headers only to delete them."""
        sub_response = Response.__new__(Response)
        sub_response.status_code = None  # type: ignore[assignment]
        sub_response.background = None
        sub_response.body = b""
        sub_response.raw_headers = []
        return sub_response

    def create_response(  # type: ignore[override]
        self, response_data: Any, sub_response: Response
    ) -> Response:
        """As strawberry's, with the JSON made as bytes (not text encoded a second time)."""
        response = Response(orjson.dumps(response_data), media_type="application/json")
        if sub_response.raw_headers:
            response.raw_headers.extend(sub_response.raw_headers)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        # orjson, faster than json; text, so that WebSocket messages go as text frames.
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        actor = None
        if isinstance(request, Request):
            actor = await self._actor(request.headers.get("authorization"))
        return Context(
            services=self.services,
            actor=actor,
            loaders=Loaders(self.services.store, self.services.directory),
            request=request,
            response=response,
        )

    async def _actor(self, header: str | None) -> Actor | None:
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "Authorization: expected 'Bearer <token>'")
        try:
            return await self.services.tokens.averify(token.strip())
        except TokenError as error:
            raise HTTPException(401, f"invalid token: {error}") from None

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        if header is not None and not isinstance(header, str):
            raise ConnectionRejectionError({"reason": "Authorization: expected text"})
        try:
            context.actor = await self._actor(header)
        except HTTPException as error:
            raise ConnectionRejectionError({"reason": error.reason}) from None
        return None

    async def render_graphql_ide(self, request: Request) -> Response:  # pragma: no cover
        raise HTTPException(404, "GraphiQL is at /graphql in a browser")
