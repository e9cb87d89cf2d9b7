"""Query limits and caches, as strawberry extension factories.

The depth and alias limits are validation rules. strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` build a new rule class per instance, and since extensions are made
afresh for each request, the validation cache (keyed by the rules too) never hit: here each
rule class is made once per schema, so a query seen before is neither parsed nor validated
again.
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from khidma.core.config import Settings

CACHE_SIZE = 1024


def extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    rules = [
        depth_rule(settings.max_query_depth, None, None),
        alias_rule(settings.max_query_aliases),
    ]
    tokens = settings.max_query_tokens
    return [
        lambda: MaxTokensLimiter(max_token_count=tokens),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
