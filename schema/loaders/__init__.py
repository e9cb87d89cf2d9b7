"""DataLoaders: each batches one kind of look-up per request, so a page costs a few statements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from strawberry.dataloader import DataLoader

from khidma.core.app.directory import Directory
from khidma.core.domain.catalog import Service
from khidma.core.domain.centre import Centre
from khidma.core.events import EventStore
from khidma.core.events.lending import Statements

from .boards import BoardRows, board_loader
from .centres import centre_loader
from .requests import Tracked, request_loader, tracked_loader
from .services import service_loader
from .timelines import timeline_loader

V = TypeVar("V")


class made_once(Generic[V]):
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first
    access; a request's loaders are only used from its own event loop)."""

    def __init__(self, make: Callable[[Any], V]) -> None:
        self.make = make
        self.name = make.__name__
        self.__doc__ = make.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> V:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name] = self.make(instance)
        return value


class Loaders:
    """This request's loaders (their caches live as long as the request).

    Each is made on first use: most requests need one or two of them.
    """

    def __init__(self, store: EventStore, directory: Directory) -> None:
        self._pool: Statements = store.lender  # single statements: no acquire per read
        self._directory = directory

    @made_once
    def request(self) -> DataLoader[str, asyncpg.Record | None]:
        return request_loader(self._pool)

    @made_once
    def tracked(self) -> DataLoader[str, Tracked | None]:
        return tracked_loader(self._pool)

    @made_once
    def timeline(self) -> DataLoader[UUID, list[asyncpg.Record]]:
        return timeline_loader(self._pool)

    @made_once
    def board(self) -> DataLoader[str, BoardRows | None]:
        return board_loader(self._pool)

    @made_once
    def service(self) -> DataLoader[str, Service | None]:
        return service_loader(self._directory)

    @made_once
    def centre(self) -> DataLoader[str, Centre | None]:
        return centre_loader(self._directory)
