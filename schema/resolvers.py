"""A strawberry field's resolver called in one step, for compiled plans.

strawberry wraps each resolver in layers built for the general case: an async wrapper and an
``await_maybe`` around the extensions' chain, rebuilt with ``functools.reduce`` on every call,
and ``PermissionExtension.resolve_async`` awaiting each permission's answer. For a field whose
only extensions are permission checks with plain (not async) ``has_permission`` methods, and
no exception handler, ``direct_resolver`` does the same steps in one call: the strawberry
``Info``, the arguments converted by strawberry's own ``get_arguments`` (extensions' argument
mappings included), each permission, then the resolver. A permission that does not answer
True raises :class:`Refused`; the plan then leaves the request to graphql-core, which runs the
field the ordinary way and reports the refusal as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from graphql import GraphQLField
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import PermissionExtension
from strawberry.schema import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField


class Refused(Exception):
    """A permission did not answer True: graphql-core runs the field and reports it."""


def direct_resolver(field: GraphQLField, schema: Schema) -> Callable[..., Any] | None:
    """``resolve(source, info, **args)`` as strawberry's resolver would, or None if the field
    has anything more than permission checks around its resolver."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.base_resolver is None:
        return None
    converter = schema.schema_converter
    if definition.is_subscription or converter._get_field_exception_handlers(definition):
        return None
    permissions: list[Any] = []
    for extension in definition.extensions:
        if type(extension) is PermissionExtension:
            permissions.extend(extension.permissions)
        elif extension.has_resolver:
            return None
    if any(iscoroutinefunction(p.has_permission) for p in permissions):
        return None
    info_class = schema.config.info_class
    config = schema.config
    registry = converter.scalar_registry
    get_result = definition.get_result
    plain = _plain_arguments(definition, schema)

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        if plain is None:
            args, kwargs = get_arguments(
                field=definition, source=source, info=strawberry_info, kwargs=kwargs,
                config=config, scalar_registry=registry,
            )  # fmt: skip
        else:
            args, kwargs = plain(source, strawberry_info, kwargs)
        # as strawberry's extension chain: permissions get the arguments without ``info``
        wants_info = "info" in kwargs
        if wants_info:
            del kwargs["info"]
        for permission in permissions:
            if permission.has_permission(source, strawberry_info, **kwargs) is not True:
                raise Refused
        if wants_info:
            kwargs["info"] = strawberry_info
        return get_result(source, info=strawberry_info, args=args, kwargs=kwargs)

    return resolve


_PLAIN = (str, int, float, bool)  # strawberry passes arguments of these types on unchanged


def _plain_arguments(
    definition: StrawberryField, schema: Schema
) -> Callable[[Any, Any, dict[str, Any]], tuple[list[Any], dict[str, Any]]] | None:
    """strawberry's ``get_arguments`` for a field whose arguments are all of plain scalar
    types (or none) and whose extensions leave them as they are: the arguments renamed to
    their Python names, then the resolver's reserved parameters, in strawberry's order."""
    if any(
        type(e).map_arguments is not FieldExtension.map_arguments for e in definition.extensions
    ):
        return None
    names: list[tuple[str, str]] = []
    for argument in definition.arguments:
        type_ = argument.type
        if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
            type_ = type_.of_type
        if type_ not in _PLAIN or argument.python_name is None:
            return None
        names.append((schema.config.name_converter.from_argument(argument), argument.python_name))
    resolver = definition.base_resolver
    assert resolver is not None
    with_self = resolver.self_parameter is not None
    as_source = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def arguments(
        source: Any, info: Any, given: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        kwargs = {python: given[name] for name, python in names if name in given}
        for name in as_source:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = info
        return ([source] if with_self else []), kwargs

    return arguments
