"""Compiled plans: a query's shape worked out once per checked document, then run per request.

graphql-core executes every request field by field: it collects the sub-fields of each object
again, builds a resolve-info tuple and a response path for every field, and walks
``complete_value`` down to each scalar. For a query (never a mutation or subscription) with
no directives, the fields to run do not depend on the variables, so that work can be done once:
the plan holds, for each selected field, how to read it (an attribute, or the field's resolver
with its arguments), how to complete it (a scalar's serializer, an object's compiled
sub-selection, a list's item) and what to check (non-null, ``is_type_of``).

A plan answers only when nothing goes wrong. A resolver that raises, a None where the type
forbids it, a value the scalar refuses, invalid variables: the plan gives up (``run`` returns
None) and the request is executed by graphql-core from the start, which reports the errors with
their paths and null propagation. Queries read only, so running their resolvers a second time
changes nothing. A selection the plan cannot express (an interface or union, introspection, a
directive) gets no plan at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import Visitor, visit
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable
from strawberry.schema import Schema as StrawberrySchema
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo as Info
from strawberry.schema.schema_converter import GraphQLCoreConverter

from .execution import plain_reader
from .resolvers import direct_resolver

MAX_VARIABLE_ERRORS = 50  # graphql-core's default for execute

# complete(value, run, path): the completed value, an awaitable of it, or an exception raised
Complete = Callable[[Any, "Run", Path | None], Any]


class NotCompilable(Exception):
    """The selection has a shape plans do not cover."""


class Unfinished(Exception):
    """A value the plan cannot complete (graphql-core will report it)."""


class Run:
    """One request's execution of a plan: what every resolve-info carries."""

    __slots__ = ("context", "extensions", "helpers", "plan", "root_value", "tracked", "variables")

    def __init__(
        self, plan: Plan, context: Any, root_value: Any, variables: VariableValues, extensions: Any
    ) -> None:
        self.plan = plan
        self.context = context
        self.root_value = root_value
        self.variables = variables
        self.extensions = extensions
        self.tracked: list[Any] = []
        self.helpers = GraphQLResolveInfoHelpers(gather=_gather, track=self.tracked.extend)

    def info(self, field: _Resolved, path: Path) -> Any:
        plan = self.plan
        return Info(
            field.name, field.nodes, field.return_type, field.parent_type, path, plan.schema,
            plan.fragment_definitions, self.root_value, plan.operation, self.variables.coerced,
            self.context, is_awaitable, None, self.helpers, self.extensions,
        )  # fmt: skip


def _gather(values: Any) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


class Plan:
    """One operation of one document, compiled against one schema."""

    def __init__(
        self,
        strawberry: StrawberrySchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
    ) -> None:
        self.strawberry = strawberry
        self.schema = schema = strawberry._schema
        self.operation = operation
        self.fragment_definitions = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._fragments = {n: FragmentDetails(d) for n, d in self.fragment_definitions.items()}
        self._no_variables = VariableValues({}, {})
        query = schema.query_type
        if query is None:
            raise NotCompilable("no query type")
        grouped = collect_fields(
            schema, self._fragments, self._no_variables, query, operation
        ).grouped_field_set
        self.root, _ = self._object(query, grouped)

    async def run(self, context: Any, root_value: Any, variables: Any, extensions: Any) -> Any:
        """The data of the answer, or None when graphql-core must answer instead."""
        coerced = get_variable_values(
            self.schema,
            self.operation.variable_definitions or (),
            variables or {},
            max_errors=MAX_VARIABLE_ERRORS,
        )
        if isinstance(coerced, list):  # the variables are wrong: graphql-core reports it
            return None
        run = Run(self, context, root_value, coerced, extensions)
        try:
            data = self.root(root_value, run, None)
            if is_awaitable(data):
                data = await data
        except Exception:  # graphql-core runs the query again and reports it
            data = None
        if run.tracked:  # work a resolver asked to have settled before the answer
            await asyncio.gather(
                *(w for w in run.tracked if is_awaitable(w)), return_exceptions=True
            )
        return data

    def _object(self, object_type: GraphQLObjectType, grouped: Any) -> tuple[Complete, bool]:
        """The sub-selection runner of an object type, and whether it calls a resolver."""
        steps: list[tuple[Any, ...]] = []
        resolves = False
        for response_name, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_name, _TYPENAME, object_type.name, None, False, None))
                continue
            field = object_type.fields.get(name)
            if field is None or name.startswith("__"):
                raise NotCompilable(name)
            complete, below = self._completer(field.type, details)
            read = None if field.args else plain_reader(field)
            if read is None:
                resolved = _Resolved(name, field, object_type, details, self.strawberry)
                steps.append((response_name, _RESOLVED, resolved, complete, False, None))
                resolves = True
            elif (leaf := _leaf_of(field.type)) is not None:
                steps.append((response_name, _LEAF, read, *leaf))
            else:
                kind = _PLAIN if below else _PLAIN_SYNC
                steps.append((response_name, kind, read, complete, False, None))
                resolves = resolves or below
        return _object_runner(object_type.name, tuple(steps)), resolves

    def _completer(
        self, type_: GraphQLOutputType, details: FieldDetailsList
    ) -> tuple[Complete, bool]:
        """How a value of the type is completed, and whether that calls a resolver."""
        non_null = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(named):
            return _leaf(named.coerce_output_value, non_null), False  # type: ignore[union-attr]
        if isinstance(named, GraphQLList):
            item, resolves = self._completer(named.of_type, details)
            return _list(item, non_null, resolves), resolves
        if is_object_type(named):
            assert isinstance(named, GraphQLObjectType)
            check = named.is_type_of
            if check is not None and "_get_is_type_of" not in check.__qualname__:
                raise NotCompilable(f"{named.name}: an is_type_of of its own")
            collected = collect_subfields(
                self.schema, self._fragments, self._no_variables, self.operation, named, details
            )
            if collected.new_defer_usages:
                raise NotCompilable("@defer")
            run_object, resolves = self._object(named, collected.grouped_field_set)
            definition = (named.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            origin = getattr(definition, "origin", None)
            return _object_value(run_object, check, non_null, origin), resolves
        raise NotCompilable(f"{named}: abstract types are left to graphql-core")


class _Resolved:
    """A field with a resolver of its own (or arguments): what its resolve-info needs."""

    __slots__ = (
        "args",
        "details",
        "field",
        "name",
        "nodes",
        "parent_type",
        "resolve",
        "return_type",
    )

    def __init__(
        self,
        name: str,
        field: Any,
        parent_type: GraphQLObjectType,
        details: FieldDetailsList,
        strawberry: StrawberrySchema,
    ) -> None:
        self.name = name
        self.field = field
        self.resolve = direct_resolver(field, strawberry) or field.resolve
        self.return_type = field.type
        self.parent_type = parent_type
        self.details = details
        self.nodes = [d.node for d in details]
        self.args = bool(field.args or details[0].node.arguments)
        if self.resolve is None:
            raise NotCompilable(f"{name}: no resolver")

    def __call__(self, source: Any, run: Run, path: Path) -> Any:
        kwargs = get_argument_values(self.field, self.nodes[0], run.variables) if self.args else {}
        return self.resolve(source, run.info(self, path), **kwargs)


_TYPENAME, _LEAF, _PLAIN_SYNC, _PLAIN, _RESOLVED = range(5)
# scalars whose serializer returns a value of this Python type unchanged
_PASSTHROUGH: dict[Any, type] = {GraphQLString: str, GraphQLID: str}


def _leaf_of(type_: GraphQLOutputType) -> tuple[Callable[[Any], Any], bool, type | None] | None:
    """(serializer, non-null, type it passes unchanged) of a scalar or enum type."""
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not is_leaf_type(named):
        return None
    return named.coerce_output_value, non_null, _PASSTHROUGH.get(named)  # type: ignore[union-attr]


def _object_runner(type_name: str, steps: tuple[Any, ...]) -> Complete:
    """The runner of an object's steps: (response name, kind, reader or resolver, completer;
    for a leaf: its serializer, whether it is non-null, the type the serializer passes)."""

    def run_object(source: Any, run: Run, path: Path | None) -> Any:
        result: dict[str, Any] = {}
        pending: list[str] = []
        try:
            for response_name, kind, how, complete, non_null, passes in steps:
                if kind is _LEAF:  # the most frequent: inline
                    value = how(source)
                    if value is None:
                        if non_null:
                            raise Unfinished
                    elif type(value) is not passes:
                        value = complete(value)  # the serializer
                        if value is None or value is Undefined:
                            raise Unfinished
                    result[response_name] = value
                elif kind is _PLAIN_SYNC:  # nothing below awaits
                    result[response_name] = complete(how(source), run, None)
                elif kind is _PLAIN:
                    sub = Path(path, response_name, type_name)
                    value = complete(how(source), run, sub)
                    result[response_name] = value
                    if is_awaitable(value):
                        pending.append(response_name)
                elif kind is _RESOLVED:
                    sub = Path(path, response_name, type_name)
                    value = how(source, run, sub)
                    if is_awaitable(value):
                        value = _later(value, complete, run, sub)
                        pending.append(response_name)
                    else:
                        value = complete(value, run, sub)
                        if is_awaitable(value):
                            pending.append(response_name)
                    result[response_name] = value
                else:
                    result[response_name] = how
        except BaseException:
            _drop([result[name] for name in pending])
            raise
        if not pending:
            return result
        return _settle(result, pending)

    return run_object


async def _settle(result: dict[str, Any], pending: list[str]) -> dict[str, Any]:
    if len(pending) == 1:
        result[pending[0]] = await result[pending[0]]
    else:
        values = await gather_with_cancel(*(result[name] for name in pending))
        result.update(zip(pending, values, strict=True))
    return result


async def _later(value: Awaitable[Any], complete: Complete, run: Run, path: Path) -> Any:
    completed = complete(await value, run, path)
    return (await completed) if is_awaitable(completed) else completed


def _drop(awaitables: list[Any]) -> None:
    """Abandon work not yet awaited: close coroutines, cancel futures."""
    for work in awaitables:
        close = getattr(work, "close", None)
        if close is not None:
            close()
        elif isinstance(work, asyncio.Future):
            work.cancel()


def _leaf(coerce: Callable[[Any], Any], non_null: bool) -> Complete:
    def complete_leaf(value: Any, _run: Run, _path: Path | None) -> Any:
        if value is None:
            if non_null:
                raise Unfinished
            return None
        out = coerce(value)
        if out is None or out is Undefined:
            raise Unfinished
        return out

    return complete_leaf


def _object_value(run_object: Complete, check: Any, non_null: bool, origin: Any) -> Complete:
    """``origin``: the strawberry class of the type, whose instances need no further check."""

    def complete_object(value: Any, run: Run, path: Path | None) -> Any:
        if type(value) is not origin:
            if value is None:
                if non_null:
                    raise Unfinished
                return None
            if is_awaitable(value) or (check is not None and check(value, None) is not True):
                raise Unfinished
        return run_object(value, run, path)

    return complete_object


def _list(item: Complete, non_null: bool, needs_path: bool) -> Complete:
    def complete_list(value: Any, run: Run, path: Path | None) -> Any:
        if value is None:
            if non_null:
                raise Unfinished
            return None
        if not isinstance(value, list | tuple):  # other iterables: graphql-core's way
            raise Unfinished
        if not needs_path:  # nothing below awaits
            return [item(entry, run, None) for entry in value]
        out = []
        pending: list[int] = []
        try:
            for index, entry in enumerate(value):
                done = item(entry, run, Path(path, index, None))
                if is_awaitable(done):
                    pending.append(index)
                out.append(done)
        except BaseException:
            _drop([out[i] for i in pending])
            raise
        if not pending:
            return out
        return _settle_list(out, pending)

    return complete_list


async def _settle_list(out: list[Any], pending: list[int]) -> list[Any]:
    values = await gather_with_cancel(*(out[i] for i in pending))
    for index, value in zip(pending, values, strict=True):
        out[index] = value
    return out


def compile_plan(
    schema: StrawberrySchema, document: DocumentNode, operation: OperationDefinitionNode
) -> Plan | None:
    """The plan of a checked document's operation, or None if plans do not cover it."""
    if operation.operation is not OperationType.QUERY or _has_directives(document):
        return None
    try:
        return Plan(schema, document, operation)
    except NotCompilable:
        return None


class _Directives(Visitor):
    found = False

    def enter_directive(self, _node: DirectiveNode, *_args: Any) -> Any:
        self.found = True
        return self.BREAK

    def enter_variable_definition(self, node: Any, *_args: Any) -> None:
        if node.directives:
            self.found = True


def _has_directives(document: DocumentNode) -> bool:
    """Whether any directive (or fragment variable) is used: then variables shape the query."""
    finder = _Directives()
    visit(document, finder)
    fragment_variables = any(
        isinstance(d, FragmentDefinitionNode) and d.variable_definitions
        for d in document.definitions
    )
    return finder.found or fragment_variables
