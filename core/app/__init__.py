"""Command handlers: the only writers of events."""

from .actor import Actor
from .runner import CommandRunner, NotFound, Result
from .service import Khidma, Requests

__all__ = ["Actor", "CommandRunner", "Khidma", "NotFound", "Requests", "Result"]
