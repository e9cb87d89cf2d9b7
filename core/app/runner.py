"""Running a command: permission, idempotency, load-call-append, retry on a conflict.

Every command goes through :meth:`CommandRunner.run`. The work function loads aggregates
through a :class:`Unit`, calls their command methods and returns the result; the runner then
writes every changed aggregate's events and the command's idempotency record in one statement.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import BaseAggregate

from khidma.core.domain.errors import DomainError, NotAllowed
from khidma.core.events import (
    CONNECTION_ERRORS,
    AggregateNotFoundError,
    AggregateRepository,
    CommandRecord,
    ConcurrencyError,
    DuplicateCommandError,
    EventStore,
)
from khidma.core.privacy import sealing_of

from .actor import Actor, check_idempotency_key
from .permissions import allow

log = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseAggregate[UUID])
Result = dict[str, Any]
ATTEMPTS = 20
BACKOFF = 0.005  # seconds before the first re-run; doubles, with jitter, up to MAX_BACKOFF
MAX_BACKOFF = 0.25


class _RunAgain(Exception):
    """A concurrent writer changed what the command read: run it again on fresh state."""


class NotFound(LookupError):
    """A command named something that does not exist (a request, citizen, centre…)."""

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found")
        self.what = what
        self.key = key


class Unit:
    """One attempt of a command: the aggregates it loaded or created, and the time it ran.

    ``get`` and ``find`` load an aggregate of the command's own, to change; ``read`` and
    ``prefetch`` give one to read only, which may be shared with other commands (and is not
    decoded again while it has no newer event).

    ``reads`` is the version of everything the command loaded (0 for what did not exist): the
    command's events are written only if none of it has moved on. So an aggregate already
    held in memory is read without asking the database first (unless ``verified``): a copy
    that turns out stale fails the write, and the command runs again on verified reads.
    """

    def __init__(
        self, repository: AggregateRepository, at: datetime, *, verified: bool = False
    ) -> None:
        self._repository = repository
        self._seen: dict[UUID, BaseAggregate[UUID]] = {}
        self._read: dict[UUID, BaseAggregate[UUID]] = {}
        self._absent: set[UUID] = set()
        self.reads: dict[UUID, int] = {}
        self.verified = verified
        self.at = at

    async def prefetch(self, *aggregate_ids: UUID | None) -> None:
        """Load what the command will read in one round trip (later reads are then free)."""
        wanted = [
            i
            for i in dict.fromkeys(aggregate_ids)
            if i is not None and i not in self._seen and i not in self._read
        ]
        if not wanted:
            return
        if self.verified:
            loaded = await self._repository.read_many(wanted)
        else:
            loaded = await self._repository.read_held(wanted)
        self._read.update(loaded)
        for i in wanted:
            found = loaded.get(i)
            if found is None:
                self._absent.add(i)
            self.reads.setdefault(i, 0 if found is None else found.version)

    async def read(self, kind: type[A], aggregate_id: UUID, what: str | None = None) -> A:
        """An aggregate to read, not to change; NotFound naming ``what`` if it has no events.

        The command's own copy if it loaded one to change, so it reads its own changes.
        """
        found = self._seen.get(aggregate_id) or self._read.get(aggregate_id)
        if found is None:
            if aggregate_id not in self._absent:
                await self.prefetch(aggregate_id)
            found = self._read.get(aggregate_id)
            if found is None:
                raise NotFound(what or kind.__name__, aggregate_id)
        if not isinstance(found, kind):
            raise NotFound(what or kind.__name__, aggregate_id)
        return found

    async def read_or_none(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """``read``, or None if it does not exist yet."""
        try:
            return await self.read(kind, aggregate_id)
        except NotFound:
            return None

    async def get(self, kind: type[A], aggregate_id: UUID, what: str | None = None) -> A:
        """Load an aggregate to change (once per attempt); NotFound naming ``what`` if it has
        no events."""
        if aggregate_id in self._seen:
            found = self._seen[aggregate_id]
        elif aggregate_id in self._absent:
            raise NotFound(what or kind.__name__, aggregate_id)
        else:
            try:
                found = await self._repository.get(aggregate_id)
            except AggregateNotFoundError:
                self._absent.add(aggregate_id)
                self.reads.setdefault(aggregate_id, 0)
                raise NotFound(what or kind.__name__, aggregate_id) from None
            self._seen[aggregate_id] = found
            self.reads.setdefault(aggregate_id, found.version)
        if not isinstance(found, kind):
            raise NotFound(what or kind.__name__, aggregate_id)
        return found

    async def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """Load an aggregate to change, or None if it does not exist yet."""
        try:
            return await self.get(kind, aggregate_id)
        except NotFound:
            return None

    def add(self, aggregate: A) -> A:
        """A new aggregate this command created."""
        self._seen[aggregate.id] = aggregate
        return aggregate

    def misused(self) -> list[BaseAggregate[UUID]]:
        """Shared aggregates this command changed by mistake, dropped so nobody reads them."""
        changed = [a for a in self._read.values() if a.pending_events]
        for aggregate in changed:
            self._repository.shared.forget(aggregate.id)
        return changed

    @property
    def changed(self) -> list[BaseAggregate[UUID]]:
        return [a for a in self._seen.values() if a.pending_events]


Work = Callable[[Unit], Awaitable[Result]]


class CommandRunner:
    def __init__(
        self, store: EventStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.store = store
        self.repository = AggregateRepository(store, sealing=sealing_of(store))
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
        # No look-up of the key first: the key's primary key, written in the same statement as
        # the events, catches a retry, whose first result is then returned (one round trip less
        # for every command that is not a retry).
        metadata = actor.metadata(key, correlation_id, causation_id)
        # The first attempt reads what is held in memory as it is, unless a stale copy would
        # make it fail for good.
        verified = not retry
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                return await self._attempt(
                    actor, command, key, work, metadata, retry and not last, verified
                )
            except _RunAgain:
                log.info("%s: conflict on attempt %d, running again", command, attempt)
                if not verified:
                    verified = True
                    continue  # what it read was out of date: no other writer to back off from
            except (DomainError, NotFound):
                raise  # NotAllowed is a PermissionError, an OSError: not a dropped connection
            except CONNECTION_ERRORS as error:
                # Safe to re-run: if the first attempt did commit, its key returns its result.
                if last:
                    raise
                log.warning("%s: connection lost (%s), running again", command, error)
                await self.store.expire_connections()
            delay = min(MAX_BACKOFF, BACKOFF * 2 ** (attempt - 1))
            await asyncio.sleep(random.uniform(0, delay))
        raise AssertionError("unreachable")

    async def _attempt(
        self,
        actor: Actor,
        command: str,
        key: str,
        work: Work,
        metadata: Mapping[str, Any],
        retry: bool,
        verified: bool,
    ) -> Result:
        unit = Unit(self.repository, self.clock(), verified=verified)
        try:
            result = await work(unit)
        except (DomainError, NotFound):
            unit.misused()
            # Refused on what was held in memory: refused on what is true now?
            await self._check_reads(unit, retry)
            # A duplicate of this command may have won the race we lost, or this is a retry of
            # one that removed what it looked up (a forget unlinks the number): its result stands.
            if first := await self._first_result(actor, command, key):
                return first
            raise
        except BaseException:
            unit.misused()
            raise
        if misused := unit.misused():
            names = ", ".join(f"{type(a).__name__} {a.id}" for a in misused)
            raise RuntimeError(f"{command} changed what it loaded to read ({names}): use Unit.get")
        record = CommandRecord(key, command, metadata["actor_id"], result)  # str(actor.id)
        try:
            if unit.changed:
                await self.repository.save(
                    *unit.changed, metadata=metadata, command=record, reads=unit.reads
                )
            else:  # nothing to write, but a retry must still get this answer
                await self._check_reads(unit, retry)
                await self.store.record_command(record)
        except DuplicateCommandError:
            first = await self._first_result(actor, command, key)
            assert first is not None
            return first
        except ConcurrencyError:
            if first := await self._first_result(actor, command, key):
                return first
            if not retry:
                raise
            raise _RunAgain from None
        return result

    async def _check_reads(self, unit: Unit, retry: bool) -> None:
        """Run the command again if it decided on a held aggregate that has since moved on."""
        if unit.verified or not unit.reads or not retry:
            return
        if await self.store.moved(unit.reads):
            raise _RunAgain

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
    return {name: _plain(value) for name, value in values.items()}


_PLAIN = frozenset({str, int, bool, float, type(None)})  # exact types: an enum may subclass str


def _plain(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
