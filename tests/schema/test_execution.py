"""The short path for plain scalar fields answers exactly as graphql-core's ordinary one."""

from __future__ import annotations

import asyncio
import enum
import gc
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import strawberry
from graphql import execute, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from khidma.schema.execution import LeanExecution


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Label:
    ar: str
    en: str | None


@strawberry.type
class Item:
    code: str
    count: int | None
    due: date | None
    colour: Colour
    label: Label
    note: Label | None
    required: str
    strict: int

    @strawberry.field
    async def upper(self) -> str:
        return self.code.upper()

    @strawberry.field
    def times(self, n: int) -> int:
        return (self.count or 0) * n


def item(code: str, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "code": code,
        "count": 3,
        "due": date(2026, 12, 1),
        "colour": Colour.GREEN,
        "label": Label(ar="بيان", en=None),
        "note": None,
        "required": "x",
        "strict": 1,
    }
    values.update(changes)
    return Item(**values)


ITEMS = {
    "plain": [item("a"), item("b", count=None, due=None, colour=Colour.RED)],
    "missing": [item("a"), item("b", required=None)],  # a non-null field holding None
    "refused": [item("a", strict="not a number")],  # a value Int cannot serialize
    "nested": [item("a", note=Label(ar=None, en="x"))],  # None inside a nullable object
    "deep": [item("a"), item("b", label=Label(ar=None, en="x"))],  # … inside a non-null one
}


@strawberry.type
class Query:
    @strawberry.field
    async def items(self, kind: str) -> list[Item] | None:
        return ITEMS[kind]

    @strawberry.field
    def one(self, kind: str) -> Item | None:
        return ITEMS[kind][-1]


QUERY = """query Q($kind: String!) {
  one(kind: $kind) { required code }
  items(kind: $kind) {
    upper strict code renamed: count due colour required
    label { en ar } times(n: 2) code note { ar en }
  }
}"""


async def run(
    execution: type[StrawberryGraphQLCoreExecutionContext],
    kind: str,
    extensions: list[Callable[[], SchemaExtension]] | None = None,
) -> dict[str, Any]:
    schema = strawberry.Schema(
        query=Query, execution_context_class=execution, extensions=extensions or []
    )
    result = await schema.execute(QUERY, {"kind": kind})
    return {
        "data": result.data,
        "errors": [(e.message, e.path) for e in result.errors or []],
    }


@pytest.mark.parametrize("kind", list(ITEMS))
async def test_the_same_answer_errors_and_key_order_as_graphql_core(kind: str) -> None:
    lean = await run(LeanExecution, kind)
    stock = await run(StrawberryGraphQLCoreExecutionContext, kind)
    assert lean == stock
    assert repr(lean["data"]) == repr(stock["data"])  # the same key order too
    if kind == "plain":
        first = lean["data"]["items"][0]
        assert list(first) == [
            "upper", "strict", "code", "renamed", "due", "colour", "required", "label", "times",
            "note",
        ]  # fmt: skip
        assert first["due"] == "2026-12-01" and first["colour"] == "GREEN"
        assert lean["data"]["items"][1]["renamed"] is None
    elif kind == "nested":
        assert lean["data"]["items"][0]["note"] is None
        assert lean["errors"] == [
            ("Cannot return null for non-nullable field Label.ar.", ["items", 0, "note", "ar"])
        ]
    else:
        assert lean["errors"] and lean["data"]["items"] is None
        assert (lean["data"]["one"] is None) == (kind == "missing")


async def test_an_extension_that_wraps_resolvers_still_sees_every_field() -> None:
    seen: list[str] = []

    class Spy(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    answer = await run(LeanExecution, "plain", extensions=[Spy])
    assert answer["errors"] == []
    assert seen.count("code") == 1 + 2 and seen.count("ar") == 2


def cyclic_garbage(execution: type[StrawberryGraphQLCoreExecutionContext]) -> int:
    """Objects only the garbage collector frees after executing QUERY five times."""
    schema = strawberry.Schema(query=Query)._schema
    document = parse(QUERY)

    async def five() -> None:
        for _ in range(5):
            result = await execute(
                schema, document, variable_values={"kind": "plain"}, executor_class=execution
            )
            assert not result.errors

    gc.collect()
    gc.disable()
    try:
        asyncio.run(five())
        return gc.collect()
    finally:
        gc.enable()


def test_an_execution_leaves_no_reference_cycles_behind() -> None:
    assert cyclic_garbage(StrawberryGraphQLCoreExecutionContext) > 0  # graphql-core's own
    assert cyclic_garbage(LeanExecution) == 0


@strawberry.type
class Row:
    code: str
    count: int | None


@strawberry.type
class Rows:
    @strawberry.field
    def rows(self) -> list[Row]:
        return [{"code": "a", "count": 1}, {"code": "b", "count": None}]  # type: ignore[list-item]


async def test_a_configured_default_resolver_is_still_used() -> None:
    query = "{ rows { count code } }"
    answers = []
    for execution in (LeanExecution, StrawberryGraphQLCoreExecutionContext):
        schema = strawberry.Schema(
            query=Rows,
            execution_context_class=execution,
            config=StrawberryConfig(default_resolver=lambda row, name: row[name]),
        )
        result = await schema.execute(query)
        answers.append((result.data, result.errors))
    assert answers[0] == answers[1]
    assert answers[0][0] == {"rows": [{"count": 1, "code": "a"}, {"count": None, "code": "b"}]}
