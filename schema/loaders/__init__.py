"""DataLoaders: each batches one kind of look-up per request, so a page costs a few statements."""

from __future__ import annotations

from khidma.core.app.directory import Directory
from khidma.core.events import EventStore

from .boards import board_loader
from .centres import centre_loader
from .requests import request_loader
from .services import service_loader
from .timelines import timeline_loader


class Loaders:
    """This request's loaders (their caches live as long as the request)."""

    def __init__(self, store: EventStore, directory: Directory) -> None:
        self.request = request_loader(store.pool)
        self.timeline = timeline_loader(store.pool)
        self.board = board_loader(store.pool)
        self.service = service_loader(directory)
        self.centre = centre_loader(directory)
