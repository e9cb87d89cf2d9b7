"""Fixtures for the plugin tests: the sandbox served by uvicorn on a free loopback port."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from khidma.core.config import Settings
from khidma.plugins.connectors import Connectors
from khidma.plugins.manager import create_manager
from khidma.plugins.sandbox import Knobs, sandbox_server

SECRET = "test-secret-جديد"


class SandboxControl:
    """The running sandbox, driven over HTTP as a test would drive a real one."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def set(self, system: str, **knobs: Any) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(f"{self.url}/_control", json={"systems": {system: knobs}})
            response.raise_for_status()

    async def calls(self, system: str | None = None, path_part: str = "") -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            found = (await client.get(f"{self.url}/_calls")).json()["calls"]
        return [
            c for c in found if (system is None or c["system"] == system) and path_part in c["path"]
        ]


def plugin_settings(base: Settings, sandbox_url: str, **changes: Any) -> Settings:
    """Settings pointing every connector at the sandbox, with small timeouts and backoffs."""
    values: dict[str, Any] = {
        "sandbox_url": sandbox_url,
        "callback_secret": SECRET,
        "connector_timeout": 1.0,
        "dispatch_attempts": 3,
        "dispatch_backoff": 0.01,
        "dispatch_max_backoff": 0.05,
        "breaker_threshold": 3,
        "breaker_cooldown": 0.3,
        "watch_interval": 0.2,
        **changes,
    }
    return dataclasses.replace(base, **values)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxControl]:
    settings = Settings(callback_secret=SECRET)
    async with sandbox_server(settings, port=0, defaults=Knobs(callback_delay=0.1)) as url:
        yield SandboxControl(url)


@pytest.fixture
def offline_settings() -> Settings:
    """Settings for tests that need no database: every system at the sandbox's default URL."""
    return Settings(callback_secret=SECRET, connector_timeout=1.0)


@pytest.fixture
def connectors(sandbox: SandboxControl, offline_settings: Settings) -> Connectors:
    settings = plugin_settings(offline_settings, sandbox.url)
    return Connectors(create_manager(settings, entry_points=False), settings)
