"""Query limits (tokens, depth, aliases) and the parse and validation cache, as one extension.

strawberry runs each extension hook as a context manager, per request: its ``MaxTokensLimiter``,
``AddValidationRules``, ``ParserCache`` and ``ValidationCache`` cost four extension objects
and a context manager per hook on every request. Here one extension, one hook: a query text
seen before gets its parsed document and its validation errors from an LRU keyed by the text
(the limits and rules are fixed per schema), so strawberry neither parses nor validates it
again. A text that does not parse is left to strawberry, which reports the error as usual.
The depth and alias rule classes are made once per schema (strawberry's limiters make a new
class per instance, which defeated any cache keyed by the rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from graphql.validation import specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from khidma.core.config import Settings

CACHE_SIZE = 1024

Rules = tuple[type[ASTValidationRule], ...]
Checked = tuple[DocumentNode, list[GraphQLError]]


class Checks:
    """One schema's limits and its cache of checked query texts; called, its extension."""

    def __init__(self, settings: Settings) -> None:
        self.max_tokens = settings.max_query_tokens
        self.rules: Rules = (
            depth_rule(settings.max_query_depth, None, None),
            alias_rule(settings.max_query_aliases),
        )
        self.all_rules: Rules = (*specified_rules, *self.rules)  # as strawberry's by default
        self.check: Callable[[GraphQLSchema, str, Rules], Checked | None] = lru_cache(
            maxsize=CACHE_SIZE
        )(self._check)

    def _check(self, schema: GraphQLSchema, query: str, rules: Rules) -> Checked | None:
        """The document and its validation errors; None if the text does not parse."""
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        return document, validate_document(schema, document, rules)

    def __call__(self) -> Limits:
        return Limits(self)


class Limits(SchemaExtension):
    """The per-request extension: sets the limits and fills in a checked document."""

    def __init__(self, checks: Checks) -> None:
        self.checks = checks

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.checks.max_tokens
        context.validation_rules = (*context.validation_rules, *self.checks.rules)
        if context.query and context.graphql_document is None:
            checked = self.checks.check(
                context.schema._schema, context.query, context.validation_rules
            )
            if checked is not None:
                context.graphql_document, context.pre_execution_errors = checked
        yield


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    return [Checks(settings)]
