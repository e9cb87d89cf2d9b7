"""Fixtures for command tests: the ``khidma`` facade over a real store, a fixed clock, actors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from khidma.core.app import Actor, Khidma
from khidma.core.domain.lifecycle import Channel
from khidma.core.domain.roles import Role
from khidma.core.events import EventStore
from khidma.core.privacy import numbers_of

# A Tuesday, 09:00 in Damascus (UTC+3): a working day, within centres' default hours.
START = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``, e.g. ``clock.advance(minutes=5)``."""
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now
        return now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def khidma(store: EventStore, clock: FixedClock) -> Khidma:
    return Khidma(store, clock)


def key() -> str:
    """A fresh idempotency key."""
    return str(uuid.uuid4())


async def event_count(store: EventStore) -> int:
    return int(await store.pool.fetchval("SELECT count(*) FROM events"))


# -- actors ----------------------------------------------------------------------------------


async def citizen(
    khidma: Khidma, national_number: str = "01020304050", channel: Channel = Channel.PORTAL
) -> Actor:
    """A citizen whose token carries the id khidma gives their national number (as an
    identity provider's would: it asks khidma for the id)."""
    citizen_id = await numbers_of(khidma.store).ensure(national_number)
    return Actor(citizen_id, Role.CITIZEN, channel=channel)


async def citizen_id(khidma: Khidma, national_number: str) -> uuid.UUID | None:
    """The id of the citizen with this national number; None if it has none."""
    return await numbers_of(khidma.store).find(national_number)


def clerk(
    centre: str = "DAM-01", agency: str = "civil_registry", id: uuid.UUID | None = None
) -> Actor:
    return Actor(id or uuid.uuid4(), Role.CLERK, centre=centre, agency=agency)


def supervisor(centre: str = "DAM-01", id: uuid.UUID | None = None) -> Actor:
    return Actor(id or uuid.uuid4(), Role.SUPERVISOR, centre=centre)


def admin(id: uuid.UUID | None = None) -> Actor:
    return Actor(id or uuid.uuid4(), Role.ADMIN)


def auditor(id: uuid.UUID | None = None) -> Actor:
    return Actor(id or uuid.uuid4(), Role.AUDITOR)


def agency(code: str = "civil_registry", id: uuid.UUID | None = None) -> Actor:
    return Actor(id or uuid.uuid4(), Role.AGENCY, agency=code)


def system(id: uuid.UUID | None = None) -> Actor:
    return Actor(id or uuid.uuid4(), Role.SYSTEM)


def actor_for(role: Role, *, centre: str = "DAM-01", agency_code: str = "civil_registry") -> Actor:
    """Some actor of ``role``: staff at ``centre``, a clerk or agency for ``agency_code``."""
    if role is Role.CITIZEN:
        return Actor(uuid.uuid4(), role, channel=Channel.PORTAL)  # a citizen with no account
    if role is Role.CLERK:
        return clerk(centre, agency_code)
    if role is Role.SUPERVISOR:
        return supervisor(centre)
    if role is Role.AGENCY:
        return agency(agency_code)
    return Actor(uuid.uuid4(), role)
