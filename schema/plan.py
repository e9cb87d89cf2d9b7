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
from collections.abc import Collection
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableDefinitionNode,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    get_variable_values,
)
from graphql.language import Visitor, visit
from strawberry.execution.is_awaitable import optimized_is_awaitable as is_awaitable
from strawberry.schema import Schema as StrawberrySchema
from strawberry.schema.schema_converter import GraphQLCoreConverter

from .execution import plain_reader
from .plan_steps import (
    LEAF,
    PLAIN,
    PLAIN_SYNC,
    RESOLVED,
    TYPENAME,
    Complete,
    NotCompilable,
    Resolved,
    Run,
    leaf,
    leaf_of,
    list_of,
    object_runner,
    object_value,
)

MAX_VARIABLE_ERRORS = 50  # graphql-core's default for execute


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
        self._text_variables = _text_variables(schema, operation.variable_definitions or ())
        query = schema.query_type
        if query is None:
            raise NotCompilable("no query type")
        grouped = collect_fields(
            schema, self._fragments, self._no_variables, query, operation
        ).grouped_field_set
        self.root, _ = self._object(query, grouped)

    async def run(self, context: Any, root_value: Any, variables: Any, extensions: Any) -> Any:
        """The data of the answer, or None when graphql-core must answer instead."""
        coerced = self._coerce(variables or {})
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

    def _coerce(self, given: dict[str, Any]) -> VariableValues | list[GraphQLError]:
        """The variables' values as graphql-core's ``get_variable_values`` makes them; for
        text variables given as text (the usual case), without coercing them again."""
        if self._text_variables is not None:
            sources: dict[str, VariableValueSource] = {}
            coerced: dict[str, Any] = {}
            for name, signature, non_null in self._text_variables:
                value = given.get(name, Undefined)
                if type(value) is str:  # String and ID take text as it is
                    sources[name] = VariableValueSource(signature, value)
                    coerced[name] = value
                elif value is Undefined and not non_null:
                    sources[name] = VariableValueSource(signature)
                else:
                    break  # anything else: graphql-core's way
            else:
                return VariableValues(sources, coerced)
        return get_variable_values(
            self.schema,
            self.operation.variable_definitions or (),
            given,
            max_errors=MAX_VARIABLE_ERRORS,
        )

    def _object(self, object_type: GraphQLObjectType, grouped: Any) -> tuple[Complete, bool]:
        """The sub-selection runner of an object type, and whether it calls a resolver."""
        steps: list[tuple[Any, ...]] = []
        resolves = False
        for response_name, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                steps.append((response_name, TYPENAME, object_type.name, None, False, None))
                continue
            field = object_type.fields.get(name)
            if field is None or name.startswith("__"):
                raise NotCompilable(name)
            complete, below = self._completer(field.type, details)
            read = None if field.args else plain_reader(field)
            if read is None:
                resolved = Resolved(name, field, object_type, details, self.strawberry)
                steps.append((response_name, RESOLVED, resolved, complete, False, None))
                resolves = True
            elif (leaf := leaf_of(field.type)) is not None:
                steps.append((response_name, LEAF, read, *leaf))
            else:
                kind = PLAIN if below else PLAIN_SYNC
                steps.append((response_name, kind, read, complete, False, None))
                resolves = resolves or below
        return object_runner(object_type.name, tuple(steps)), resolves

    def _completer(
        self, type_: GraphQLOutputType, details: FieldDetailsList
    ) -> tuple[Complete, bool]:
        """How a value of the type is completed, and whether that calls a resolver."""
        non_null = isinstance(type_, GraphQLNonNull)
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(named):
            return leaf(named.coerce_output_value, non_null), False  # type: ignore[union-attr]
        if isinstance(named, GraphQLList):
            item, resolves = self._completer(named.of_type, details)
            return list_of(item, non_null, resolves), resolves
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
            return object_value(run_object, check, non_null, origin), resolves
        raise NotCompilable(f"{named}: abstract types are left to graphql-core")


def _text_variables(
    schema: GraphQLSchema, definitions: Collection[VariableDefinitionNode]
) -> list[tuple[str, Any, bool]] | None:
    """(name, signature, whether non-null) of each variable if all are String or ID without
    a default value; else None."""
    found = []
    for definition in definitions:
        signature = get_variable_signature(schema, definition)
        if isinstance(signature, GraphQLError) or signature.default is not None:
            return None
        non_null = isinstance(signature.type, GraphQLNonNull)
        named = signature.type.of_type if non_null else signature.type
        if named is not GraphQLString and named is not GraphQLID:
            return None
        found.append((signature.name, signature, non_null))
    return found


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
