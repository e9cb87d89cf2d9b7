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
from strawberry.permission import PermissionExtension
from strawberry.schema import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
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

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition)
        args, kwargs = get_arguments(
            field=definition, source=source, info=strawberry_info, kwargs=kwargs,
            config=config, scalar_registry=registry,
        )  # fmt: skip
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
