"""The dispatcher: an outbox worker following the log from its tracked position.

Each event that calls for a step (forward, open a payment, refund, post, notify) is handled
in a task of its own, requests one at a time each and up to ``concurrency`` at once; the
tracked position only moves past an event once it and every event before it are done. After
a crash the worker resumes from there, and the steps' idempotency keys see to it that what
was done already is not done twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from khidma.core.app.outbox import Entry
from khidma.core.domain.dispatch import Dispatch, NotificationKind
from khidma.core.domain.request import ServiceRequest

from .steps import Steps

log = logging.getLogger(__name__)
WORKER = "dispatcher"
K = NotificationKind

Handler = Callable[[Steps, str, Entry], Awaitable[None]]


async def _fee(steps: Steps, number: str, entry: Entry) -> None:
    request = await steps.outbox.request(number)
    if request is not None and request.fee is not None and request.fee["total"] == 0:
        await steps.forward(number)
    else:
        await steps.open_payment(number)


def _notify(kind: NotificationKind) -> Handler:
    async def handle(steps: Steps, number: str, entry: Entry) -> None:
        await steps.notify(number, kind, entry.position)

    return handle


async def _rejected(steps: Steps, number: str, entry: Entry) -> None:
    await steps.notify(number, K.REJECTED, entry.position)
    await steps.refund(number)


ON_REQUEST: dict[str, Handler] = {
    "FeeAssessed": _fee,
    "PaymentRecorded": lambda steps, number, _: steps.forward(number),
    "InformationProvided": lambda steps, number, _: steps.resend_information(number),
    "InformationRequested": _notify(K.INFORMATION_REQUIRED),
    "Rejected": _rejected,
    "Cancelled": lambda steps, number, _: steps.refund(number),
    "Certified": lambda steps, number, _: steps.post(number),
    "ReadyForPickup": _notify(K.READY_FOR_PICKUP),
    "Dispatched": _notify(K.DISPATCHED),
}
ON_DISPATCH: dict[str, Handler] = {
    "PaymentStarted": _notify(K.PAYMENT_DUE),
    "FellBackToReplyLater": _notify(K.DELAYED),
    "DispatchRetried": lambda steps, number, _: steps.reconcile(number),
}
NAMES = frozenset(ON_REQUEST) | frozenset(ON_DISPATCH)


class Dispatcher:
    def __init__(self, steps: Steps, concurrency: int = 8, worker: str = WORKER) -> None:
        self.steps = steps
        self.outbox = steps.outbox
        self.worker = worker
        self._slots = asyncio.Semaphore(concurrency)
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._done: set[int] = set()
        self._seen = 0
        self._tracked = 0

    async def run(self) -> None:
        """Follow the log forever (until cancelled)."""
        self._tracked = self._seen = await self.outbox.position(self.worker)
        log.info("dispatcher resuming after position %d", self._tracked)
        try:
            async for entry in self.outbox.follow(self._tracked):
                await self._slots.acquire()
                self._seen = entry.position
                if entry.name in NAMES:
                    task = asyncio.create_task(self._handle(entry))
                    self._pending[entry.position] = task
                else:
                    self._slots.release()
                    self._done.add(entry.position)
                await self._advance()
        finally:
            for task in self._pending.values():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._pending.values(), return_exceptions=True)

    async def _handle(self, entry: Entry) -> None:
        try:
            number, handlers = await self._routing(entry)
            handler = handlers.get(entry.name)
            if number is not None and handler is not None:
                async with self._locks.setdefault(number, asyncio.Lock()):
                    await self._until_done(handler, number, entry)
        finally:
            self._slots.release()
        del self._pending[entry.position]
        self._done.add(entry.position)
        await self._advance()

    async def _until_done(self, handler: Handler, number: str, entry: Entry) -> None:
        """Run the step; an unexpected error (the database gone…) is logged and retried, and
        the position is not passed until it succeeds: nothing is skipped."""
        attempt = 0
        while True:
            try:
                await handler(self.steps, number, entry)
                return
            except Exception:  # logged, retried: never taken as done
                attempt += 1
                log.exception(
                    "dispatcher: %s of %s failed (attempt %d)", entry.name, number, attempt
                )
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(attempt, 6)))

    async def _routing(self, entry: Entry) -> tuple[str | None, dict[str, Handler]]:
        """The tracking number the event is about, and the handlers for its aggregate."""
        found = await self.outbox.get(entry.stream_id)
        if isinstance(found, ServiceRequest):
            return found.tracking_number, ON_REQUEST
        if isinstance(found, Dispatch):
            return found.tracking_number, ON_DISPATCH
        return None, {}

    async def _advance(self) -> None:
        """Track the highest position below which everything is done."""
        position = self._tracked
        while position + 1 in self._done:
            position += 1
            self._done.discard(position)
        if position > self._tracked:
            self._tracked = position
            await self.outbox.done(self.worker, position)

    async def idle(self) -> bool:
        """True when nothing is in flight (for tests and the demo's progress)."""
        return not self._pending
