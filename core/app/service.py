"""The command side in one object: every handler group sharing one runner and one clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from khidma.core.events import EventStore

from .admin import AdminCommands
from .citizens import CitizenCommands
from .dispatch import DispatchCommands
from .outbox import Outbox
from .queues import QueueCommands
from .requests import RequestCommands
from .runner import CommandRunner
from .submission import Submission


class Requests(RequestCommands):
    """Every command on a request, filing it (``submit``) included."""

    def __init__(self, runner: CommandRunner) -> None:
        super().__init__(runner)
        self.submission = Submission(runner)
        self.submit = self.submission.submit


class Khidma:
    """Commands over one store: ``citizens``, ``requests``, ``admin``, ``queues``, ``dispatch``.

    ``outbox`` is what workers read: the log from a tracked position and aggregates by id.
    """

    def __init__(self, store: EventStore, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.runner = CommandRunner(store, clock or (lambda: datetime.now(UTC)))
        self.citizens = CitizenCommands(self.runner)
        self.requests = Requests(self.runner)
        self.submission = self.requests.submission
        self.admin = AdminCommands(self.runner)
        self.queues = QueueCommands(self.runner)
        self.dispatch = DispatchCommands(self.runner)
        self.outbox = Outbox(self.runner)
