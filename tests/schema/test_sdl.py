"""The committed SDL (schema/schema.graphql) is the schema the code builds."""

from __future__ import annotations

from khidma.schema.sdl import PATH, sdl


def test_the_committed_sdl_is_current() -> None:
    assert PATH.read_text(encoding="utf-8") == sdl(), (
        "schema/schema.graphql is stale: run python -m khidma.schema.sdl and commit it"
    )


def test_the_sdl_has_the_typed_failures_and_the_operations_frontends_use() -> None:
    text = sdl()
    for name in (
        "union RequestResult = RequestPayload | ValidationError | InvalidTransition | NotAllowed",
        "requestUpdated(trackingNumber: String!): Request",
        "queueBoard(centre: String!): QueueBoard",
        "node(id: ID!): Node",
    ):
        assert name in text
