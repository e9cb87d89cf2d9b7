"""How a compiled plan's steps run (see plan.py): fields read or resolved, values completed.

Every completer returns the completed value or an awaitable of it, or raises (``Unfinished``
for a value graphql-core must complete, or whatever a resolver raised); work not yet awaited
when something is raised is abandoned (coroutines closed, futures cancelled), not leaked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import VariableValues, get_argument_values
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable
from strawberry.schema import Schema as StrawberrySchema
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo as Info

from .resolvers import direct_resolver

if TYPE_CHECKING:
    from .plan import Plan

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

    def info(self, field: Resolved, path: Path) -> Any:
        plan = self.plan
        return Info(
            field.name, field.nodes, field.return_type, field.parent_type, path, plan.schema,
            plan.fragment_definitions, self.root_value, plan.operation, self.variables.coerced,
            self.context, is_awaitable, None, self.helpers, self.extensions,
        )  # fmt: skip


def _gather(values: Any) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


class Resolved:
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


TYPENAME, LEAF, PLAIN_SYNC, PLAIN, RESOLVED = range(5)
# scalars whose serializer returns a value of this Python type unchanged
_PASSTHROUGH: dict[Any, type] = {GraphQLString: str, GraphQLID: str}


def leaf_of(type_: GraphQLOutputType) -> tuple[Callable[[Any], Any], bool, type | None] | None:
    """(serializer, non-null, type it passes unchanged) of a scalar or enum type."""
    non_null = isinstance(type_, GraphQLNonNull)
    named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not is_leaf_type(named):
        return None
    return named.coerce_output_value, non_null, _PASSTHROUGH.get(named)  # type: ignore[union-attr]


def object_runner(type_name: str, steps: tuple[Any, ...]) -> Complete:
    """The runner of an object's steps: (response name, kind, reader or resolver, completer;
    for a leaf: its serializer, whether it is non-null, the type the serializer passes)."""

    def run_object(source: Any, run: Run, path: Path | None) -> Any:
        result: dict[str, Any] = {}
        pending: list[str] = []
        try:
            for response_name, kind, how, complete, non_null, passes in steps:
                if kind is LEAF:  # the most frequent: inline
                    value = how(source)
                    if value is None:
                        if non_null:
                            raise Unfinished
                    elif type(value) is not passes:
                        value = complete(value)  # the serializer
                        if value is None or value is Undefined:
                            raise Unfinished
                    result[response_name] = value
                elif kind is PLAIN_SYNC:  # nothing below awaits
                    result[response_name] = complete(how(source), run, None)
                elif kind is PLAIN:
                    sub = Path(path, response_name, type_name)
                    value = complete(how(source), run, sub)
                    result[response_name] = value
                    if is_awaitable(value):
                        pending.append(response_name)
                elif kind is RESOLVED:
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


def leaf(coerce: Callable[[Any], Any], non_null: bool) -> Complete:
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


def object_value(run_object: Complete, check: Any, non_null: bool, origin: Any) -> Complete:
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


def list_of(item: Complete, non_null: bool, needs_path: bool) -> Complete:
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
