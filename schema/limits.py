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
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.schema import validate_document

from khidma.core.config import Settings

CACHE_SIZE = 1024

Checked = tuple[DocumentNode, list[GraphQLError]]


class Limits(SchemaExtension):
    """The limits of one schema, with its cache of checked query texts."""

    def __init__(
        self,
        max_tokens: int,
        rules: tuple[type[ASTValidationRule], ...],
        check: Callable[[GraphQLSchema, str, tuple[type[ASTValidationRule], ...]], Checked | None],
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = rules
        self.check = check

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)
        if context.query and context.graphql_document is None:
            checked = self.check(context.schema._schema, context.query, context.validation_rules)
            if checked is not None:
                context.graphql_document, context.pre_execution_errors = checked
        yield


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    rules = (
        depth_rule(settings.max_query_depth, None, None),
        alias_rule(settings.max_query_aliases),
    )
    tokens = settings.max_query_tokens

    @lru_cache(maxsize=CACHE_SIZE)
    def check(
        schema: GraphQLSchema, query: str, all_rules: tuple[type[ASTValidationRule], ...]
    ) -> Checked | None:
        try:
            document = parse(query, max_tokens=tokens)
        except GraphQLError:
            return None
        return document, validate_document(schema, document, all_rules)

    return [lambda: Limits(tokens, rules, check)]
