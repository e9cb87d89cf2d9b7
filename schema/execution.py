"""GraphQL execution with short paths for plain fields and for lists of objects.

graphql-core completes every field the same way: a response path, a resolve-info tuple, the
resolver, then ``complete_value`` through to the scalar's serializer or the object's
sub-fields. Most fields of a tracking answer are plain attributes (``status``, a timeline
entry's ``at`` and its ``text``), and that machinery was most of the CPU of a request. Here a
plain field (strawberry's default resolver, no arguments) of a scalar, enum or object type is
read and completed in place, and the items of a list of objects go straight to their
sub-fields. Anything unusual (None where the type forbids it, a value the scalar refuses, an
error, ``@defer``/``@stream``, a type with ``is_type_of``) goes the ordinary way, so errors,
their paths and null propagation are graphql-core's.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class _Plain:
    """How a plain field is read: its reader, and its type's serializer or object type."""

    __slots__ = ("non_null", "object_type", "read", "return_type", "serialize")

    def __init__(self, read: Callable[[Any], Any], return_type: GraphQLOutputType) -> None:
        self.read = read
        self.return_type = return_type
        self.non_null = isinstance(return_type, GraphQLNonNull)
        named = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        self.serialize: Callable[[Any], Any] | None = (
            named.coerce_output_value if is_leaf_type(named) else None
        )
        self.object_type: GraphQLObjectType | None = (
            named if is_object_type(named) and not named.is_type_of else None
        )


_PLANS: dict[GraphQLObjectType, dict[str, _Plain | None]] = {}  # types live with their schema


def _plans(parent_type: GraphQLObjectType) -> dict[str, _Plain | None]:
    """How each field of the type is read: made once per type."""
    plans = _PLANS.get(parent_type)
    if plans is None:
        plans = {name: _plain(field) for name, field in parent_type.fields.items()}
        _PLANS[parent_type] = plans
    return plans


def plain_reader(field: Any) -> Callable[[Any], Any] | None:
    """How a plain field is read from its parent, if it is one (no arguments, no resolver)."""
    # strawberry marks the resolver of a field without resolver, permission or extension
    resolve = field.resolve
    if field.args or not getattr(resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if getattr(definition, "default_resolver", None) is getattr:
        # what strawberry's default resolver does, without its two calls in between
        return attrgetter(definition.python_name)
    return partial(resolve, info=None)


def _plain(field: Any) -> _Plain | None:
    read = plain_reader(field)
    if read is None:
        return None
    plan = _Plain(read, field.type)
    return plan if plan.serialize or plan.object_type else None


def _gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


class LeanExecution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with plain fields and list items completed in place."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core keeps two bound methods of the executor in ``async_helpers``: a reference
        # cycle, so nothing a request reached (its context, loaders, rows, the executor's
        # caches) was freed before the next garbage collection. Refer to the executor weakly.
        executor = weakref.ref(self)

        def track(values: Sequence[Any]) -> None:
            alive = executor()
            if alive is not None:
                alive.track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=_gather, track=track)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        if getattr(self.middleware_manager, "middlewares", None):
            # a schema extension wraps every resolver: let it see every field
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        plans = _plans(parent_type)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = plans.get(field_details_list[0].node.name.value)
                result: Any = Undefined
                if plan is None:
                    pass
                elif plan.serialize is not None:  # a scalar: inline, the most frequent case
                    try:
                        value = plan.read(source_value)
                        if value is None:
                            result = Undefined if plan.non_null else None
                        elif not is_awaitable(value):
                            result = plan.serialize(value)
                            if result is None:
                                result = Undefined
                    except Exception:  # the ordinary way below reports it
                        result = Undefined
                else:
                    result = self._plain_field(
                        plan, source_value, path, response_name, parent_type.name,
                        field_details_list, position_context,
                    )  # fmt: skip
                if result is Undefined:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _plain_field(
        self,
        plan: _Plain,
        source_value: Any,
        path: Path | None,
        response_name: str,
        parent_name: str,
        field_details_list: FieldDetailsList,
        position_context: Any,
    ) -> Any:
        """The completed value, or Undefined to have graphql-core complete the field."""
        try:
            value = plan.read(source_value)
        except Exception:  # the ordinary way reports it
            return Undefined
        if value is None:
            return Undefined if plan.non_null else None
        if self.is_awaitable(value):
            return Undefined
        if plan.serialize is not None:
            try:
                out = plan.serialize(value)
            except Exception:  # the ordinary way reports it
                return Undefined
            return Undefined if out is None else out
        assert plan.object_type is not None
        return self._object(
            plan.object_type, plan.return_type, value, Path(path, response_name, parent_name),
            field_details_list, position_context,
        )  # fmt: skip

    def _object(
        self,
        object_type: GraphQLObjectType,
        return_type: GraphQLOutputType,
        value: Any,
        path: Path,
        field_details_list: FieldDetailsList,
        position_context: Any,
    ) -> Any:
        """An object's sub-fields, as ``complete_object_value`` and ``execute_field`` would
        (errors located at ``path``); Undefined where incremental delivery is involved."""
        if position_context is not None:
            return Undefined
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return Undefined
        try:
            completed = self.execute_fields(object_type, value, path, grouped, None)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._guarded(completed, return_type, field_details_list, path)
        return completed

    async def _guarded(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        item_path: Path,
        position_context: Any,
    ) -> bool:
        named = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if item is not None and is_object_type(named) and not named.is_type_of:
            completed = self._object(
                named, item_type, item, item_path, field_details_list, position_context
            )
            if completed is not Undefined:
                complete_results.append(completed)
                return self.is_awaitable(completed)
        return super().complete_list_item_value(
            item, complete_results, item_type, field_details_list, info, item_path,
            position_context,
        )  # fmt: skip
