"""GraphQL execution with a short path for plain scalar fields.

graphql-core completes every field the same way: a response path, a resolve-info tuple, the
resolver, then ``complete_value`` through to the scalar's serializer. Most fields of a
tracking answer are plain attributes holding a scalar (``status``, a timeline entry's ``at``),
and that machinery was most of the CPU of a request. Here such a field (strawberry's default
resolver, no arguments, a scalar or enum type) is read and serialized in place; anything
unusual about its value (None where the type forbids it, a value the scalar refuses, an
error) goes the ordinary way, so errors, their paths and null propagation are graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# (resolver, serializer, non-null) of a plain scalar field; None for any other field
_Plain = tuple[Callable[..., Any], Callable[[Any], Any], bool] | None
_PLANS: dict[GraphQLObjectType, dict[str, _Plain]] = {}  # types live as long as their schema


def _plans(parent_type: GraphQLObjectType) -> dict[str, _Plain]:
    """How each field of the type is read: made once per type (types live with the schema)."""
    plans = _PLANS.get(parent_type)
    if plans is None:
        plans = {name: _plain(field) for name, field in parent_type.fields.items()}
        _PLANS[parent_type] = plans
    return plans


def _plain(field: Any) -> _Plain:
    # strawberry marks the resolver of a field without resolver, permission or extension
    if field.args or not getattr(field.resolve, "_is_default", False):
        return None
    field_type = field.type
    non_null = isinstance(field_type, GraphQLNonNull)
    if non_null:
        field_type = field_type.of_type
    if not is_leaf_type(field_type):
        return None
    return field.resolve, field_type.coerce_output_value, non_null


class LeanExecution(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with plain scalar fields completed in place."""

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
                if plan is not None:
                    resolve, serialize, non_null = plan
                    try:
                        value = resolve(source_value, None)
                        if value is None:
                            if not non_null:
                                results[response_name] = None
                                continue
                        elif not is_awaitable(value):
                            out = serialize(value)
                            if out is not None and out is not Undefined:
                                results[response_name] = out
                                continue
                    except Exception:  # the ordinary way below reports it
                        pass
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
