"""Shared by the aggregate tests: replay through the mapper; refusals that record nothing."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from khidma.core.domain.errors import ValidationError
from khidma.core.events.transcoder import new_mapper


def replay(aggregate: Aggregate) -> Aggregate:
    """Rebuild from the events collected so far, through the project's transcoder."""
    mapper = new_mapper()
    copy = None
    for e in aggregate.collect_events():
        copy = mapper.to_domain_event(mapper.to_stored_event(e)).mutate(copy)
    assert copy is not None
    return copy


def names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.pending_events]


def assert_refused(field: str, command: Any, aggregate: Aggregate | None = None) -> None:
    """``command`` raises ValidationError naming ``field`` and records nothing."""
    before = len(aggregate.pending_events) if aggregate else 0
    with pytest.raises(ValidationError) as raised:
        command()
    assert raised.value.field == field, raised.value
    if aggregate is not None:
        assert len(aggregate.pending_events) == before
