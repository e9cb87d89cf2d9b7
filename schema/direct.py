"""A query or mutation in a plain JSON POST, executed straight by graphql-core.

strawberry's HTTP view and ``Schema.execute`` wrap every request in layers this API does not
use: a request adapter, content-type parsing, stream-transport negotiation, an execution
context, and an extension runner whose four stages each build a context manager. When the
schema's only extension is its ``Checks`` (limits, parse and validation cache) and the POST
carries one operation whose query text is checked and valid, the operation is executed here:
graphql-core's ``execute`` with the schema's execution context class, the same context
(token, loaders), the same permission rules (field extensions, inside the resolvers), and the
answer made by the view's own ``process_result`` and ``create_response``. Anything else (GET,
a batch, uploads, a streaming Accept, a subscription, a text that does not parse or is
invalid, an unknown operation name, a body that is not an object) goes through strawberry,
which answers it and reports its errors as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from graphql import DocumentNode, GraphQLError, OperationType, execute, get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema import Schema
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperation
from strawberry.utils.await_maybe import await_maybe

from .limits import Checks
from .plan import Plan, compile_plan

if TYPE_CHECKING:
    from strawberry.asgi import GraphQL

_RUN_HERE = (OperationType.QUERY, OperationType.MUTATION)
_STREAMING = ("multipart/mixed", "text/event-stream")  # strawberry's streaming transports
OFFERED = "khidma.direct_offered"  # in a request's scope: the short way declined it already
PREPARED = 1024  # query texts remembered (as many as the Checks cache)


class Direct:
    """The short way for one view; ``answer`` returns None to leave a request to strawberry."""

    def __init__(self, view: GraphQL, schema: Schema, checks: Checks) -> None:
        self.view = view
        self.schema = schema
        self.checks = checks
        self.compiled = True  # queries run by their compiled plans (tests compare without)
        # by query text and operation name: what _prepare found (None: not run here)
        self._prepared: dict[tuple[str, str | None], tuple[DocumentNode, Plan | None] | None] = {}

    @classmethod
    def for_view(cls, view: GraphQL) -> Direct | None:
        """The short way if the view's schema allows it: no extension but its Checks."""
        schema = view.schema
        if not isinstance(schema, Schema) or schema.directives:
            return None
        if len(schema.extensions) != 1 or not isinstance(schema.extensions[0], Checks):
            return None
        return cls(view, schema, schema.extensions[0])

    async def answer(self, request: Request, body: bytes | None = None) -> Response | None:
        """The response, or None to leave the request to strawberry; ``body``: the request's
        body when the caller has read it already."""
        if body is None:
            body = await request.body()
        operation = self._operation(request, body)
        if operation is None:
            return None
        query, variables, name, extensions, (document, plan) = operation
        view = self.view
        sub_response = await view.get_sub_response(request)
        context = await view.get_context(request, response=sub_response)
        root_value = await view.get_root_value(request)
        if plan is not None:
            data = await plan.run(context, root_value, variables, extensions)
            if data is not None:
                response_data = await view.process_result(request, ExecutionResult(data, None))
                return view.create_response(response_data=response_data, sub_response=sub_response)
        try:
            raw = await await_maybe(
                execute(
                    self.schema._schema,
                    document,
                    root_value=root_value,
                    context_value=context,
                    variable_values=variables,
                    operation_name=name,
                    is_awaitable=optimized_is_awaitable,
                    executor_class=self.schema.execution_context_class,
                    operation_extensions=extensions,
                )
            )
            result = ExecutionResult(data=raw.data, errors=raw.errors)
        except Exception as error:  # as strawberry's Schema.execute: an error in the answer
            result = ExecutionResult(data=None, errors=[_graphql_error(error)])
        if result.errors:
            self.schema._process_errors(
                result.errors,
                ExecutionContext(
                    query=query,
                    schema=self.schema,
                    allowed_operations=StrawberryOperation.from_http("POST"),
                    context=context,
                    variables=variables,
                    provided_operation_name=name,
                    graphql_document=document,
                ),
            )
        response_data = await view.process_result(request, result)
        if result.errors:
            view._handle_errors(result.errors, response_data)
        return view.create_response(response_data=response_data, sub_response=sub_response)

    def _operation(self, request: Request, body: bytes) -> tuple[Any, ...] | None:
        """(query, variables, operation name, extensions, (document, plan)), if it may run
        here."""
        if request.method != "POST":
            return None
        headers = request.headers
        if "application/json" not in headers.get("content-type", ""):
            return None
        accept = headers.get("accept", "")
        if any(kind in accept for kind in _STREAMING):
            return None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        query = data.get("query")
        variables = data.get("variables")
        name = data.get("operationName")
        extensions = data.get("extensions")
        if not (
            isinstance(query, str)
            and query
            and isinstance(variables, dict | None)
            and isinstance(name, str | None)
            and isinstance(extensions, dict | None)
        ):
            return None
        key = (query, name)
        try:
            prepared = self._prepared[key]
        except KeyError:
            prepared = self._prepare(query, name)
            if len(self._prepared) >= PREPARED:
                del self._prepared[next(iter(self._prepared))]  # the oldest
            self._prepared[key] = prepared
        if prepared is None:
            return None
        return query, variables, name, extensions, prepared

    def _prepare(self, query: str, name: str | None) -> tuple[DocumentNode, Plan | None] | None:
        """The checked document and its plan if the operation may run here, else None."""
        checked = self.checks.check(self.schema._schema, query, self.checks.all_rules)
        if checked is None or checked[1]:
            return None
        document = checked[0]
        found = get_operation_ast(document, name)
        if found is None or found.operation not in _RUN_HERE:
            return None
        plan = compile_plan(self.schema, document, found) if self.compiled else None
        return document, plan


def _graphql_error(error: Exception) -> GraphQLError:
    return (
        error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)
    )
