"""What every resolver gets: the process's services, the caller, and this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from khidma.core.app import Actor, Khidma
from khidma.core.app.directory import Directory
from khidma.core.config import Settings
from khidma.core.events import EventStore

from .auth import Tokens
from .freshness import Freshness
from .loaders import Loaders
from .subscriptions.hub import Hub


@dataclass
class Services:
    """One per process: shared by every request."""

    store: EventStore
    khidma: Khidma
    tokens: Tokens
    freshness: Freshness
    directory: Directory
    hub: Hub
    settings: Settings


@dataclass
class Context:
    """One per HTTP request (or WebSocket connection)."""

    services: Services
    actor: Actor | None
    loaders: Loaders
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = field(default=None)

    def read_anew(self) -> None:
        """Forget what the loaders cached: a subscription's next update must not show what
        its connection read before."""
        self.loaders = Loaders(self.services.store, self.services.directory)

    @property
    def store(self) -> EventStore:
        return self.services.store

    @property
    def khidma(self) -> Khidma:
        return self.services.khidma
