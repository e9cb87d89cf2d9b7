"""Running a command: permission, idempotency, load-call-append, retry on a conflict.

Every command goes through :meth:`CommandRunner.run`. The work function loads aggregates
through a :class:`Unit`, calls their command methods and returns the result; the runner then
writes every changed aggregate's events and the command's idempotency record in one statement.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from khidma.core.domain.errors import NotAllowed
from khidma.core.events import (
    AggregateNotFoundError,
    AggregateRepository,
    CommandRecord,
    ConcurrencyError,
    DuplicateCommandError,
    EventStore,
)

from .actor import Actor, check_idempotency_key
from .permissions import allow

log = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseAggregate[UUID])
Result = dict[str, Any]
ATTEMPTS = 5


class NotFound(LookupError):
    """A command named something that does not exist (a request, citizen, centre…)."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key


class Unit:
    """One attempt of a command: the aggregates it loaded or created, and the time it ran."""

    def __init__(self, repository: AggregateRepository, at: datetime) -> None:
        self._repository = repository
        self._seen: dict[UUID, BaseAggregate[UUID]] = {}
        self.at = at

    async def get(self, kind: type[A], aggregate_id: UUID, what: str | None = None) -> A:
        """Load an aggregate (once per attempt); NotFound naming ``what`` if it has no events."""
        if aggregate_id in self._seen:
            found = self._seen[aggregate_id]
        else:
            try:
                found = await self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                raise NotFound(what or kind.__name__, aggregate_id) from None
            self._seen[aggregate_id] = found
        if not isinstance(found, kind):
            raise NotFound(what or kind.__name__, aggregate_id)
        return found

    async def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """Load an aggregate, or None if it does not exist yet."""
        try:
            return await self.get(kind, aggregate_id)
        except NotFound:
            return None

    def add(self, aggregate: A) -> A:
        """A new aggregate this command created."""
        self._seen[aggregate.id] = aggregate
        return aggregate

    @property
    def changed(self) -> list[BaseAggregate[UUID]]:
        return [a for a in self._seen.values() if a.pending_events]


Work = Callable[[Unit], Awaitable[Result]]


class CommandRunner:
    def __init__(
        self, store: EventStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.repository = AggregateRepository(store)
        self.clock = clock

    async def run(
        self,
        actor: Actor,
        command: str,
        idempotency_key: str,
        work: Work,
        *,
        retry: bool = True,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Result:
        """Run ``work`` once for this idempotency key; a retry returns the first result.

        Domain errors (ValidationError, InvalidTransition, NotAllowed) and NotFound propagate
        with nothing written. A conflict with a concurrent writer re-runs the whole command on
        fresh state when ``retry`` (every rule is checked again), else raises ConcurrencyError.
        """
        allow(actor, command)
        key = check_idempotency_key(idempotency_key)
        first = await self._first_result(actor, command, key)
        if first is not None:
            return first
        metadata = actor.metadata(key, correlation_id, causation_id)
        for attempt in range(1, ATTEMPTS + 1):
            unit = Unit(self.repository, self.clock())
            result = await work(unit)
            record = CommandRecord(key, command, str(actor.id), result)
            try:
                await self.repository.save(*unit.changed, metadata=metadata, command=record)
            except DuplicateCommandError:
                first = await self._first_result(actor, command, key)
                assert first is not None
                return first
            except ConcurrencyError:
                if not retry or attempt == ATTEMPTS:
                    raise
                log.info("%s: conflict on attempt %d, running again", command, attempt)
                continue
            return result
        raise AssertionError("unreachable")

    async def _first_result(self, actor: Actor, command: str, key: str) -> Result | None:
        recorded = await self.store.command_result(key)
        if recorded is None:
            return None
        if recorded.command != command or recorded.actor_id != str(actor.id):
            raise NotAllowed(
                command, f"idempotency key {key!r} was used for another command or actor"
            )
        return dict(recorded.result)


def as_result(values: Mapping[str, Any]) -> Result:
    """A command's result, as plain JSON values (it is stored for idempotent retries)."""
    plain: Result = {}
    for name, value in values.items():
        if isinstance(value, UUID | datetime):
            value = str(value) if isinstance(value, UUID) else value.isoformat()
        plain[name] = value
    return plain
