"""Fixtures for projection tests: the request world of the command tests, over a real store."""

from __future__ import annotations

import pytest

from khidma.core.app import Khidma
from khidma.core.events import EventStore
from tests.core.app.request_world import World, seed


@pytest.fixture
async def world(store: EventStore) -> World:
    return await seed(Khidma(store))
