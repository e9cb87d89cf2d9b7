"""The watcher: on a schedule, polls reply-later agencies, re-tries direct-access agencies
that were down, and re-checks pending payments with the provider.

It keeps in memory the requests that may need it, found by reading the log from the start
when it begins (so it needs no tracked position: a restart simply reads again).
"""

from __future__ import annotations

import asyncio
import logging

from khidma.core.domain.dispatch import Dispatch
from khidma.core.domain.lifecycle import Status
from khidma.core.domain.request import ServiceRequest

from ..types import Outcome
from .policy import Failed
from .steps import Steps

log = logging.getLogger(__name__)
S = Status
WATCHED = frozenset(
    {
        "SentToAgency",
        "AcceptedByAgency",
        "InformationProvided",
        "PaymentStarted",
        "FellBackToReplyLater",
    }
)


class Watcher:
    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.outbox = steps.outbox
        self.position = 0
        self.watched: set[str] = set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # logged; the next tick looks again
                log.exception("watcher: a tick failed")
            await asyncio.sleep(self.steps.settings.watch_interval)

    async def tick(self) -> None:
        """Find new requests to watch, then look at each once."""
        await self._collect()
        for number in sorted(self.watched):
            try:
                if not await self.check(number):
                    self.watched.discard(number)
            except Failed as failed:
                log.info("%s: watch: %s", number, failed)

    async def _collect(self) -> None:
        while True:
            entries, last = await self.outbox.read(self.position, WATCHED)
            for entry in entries:
                found = await self.outbox.get(entry.stream_id)
                if isinstance(found, ServiceRequest | Dispatch):
                    self.watched.add(found.tracking_number)
            if last == self.position:
                return
            self.position = last

    async def check(self, number: str) -> bool:
        """Do what the request waits for; False once it no longer needs watching."""
        steps = self.steps
        request = await self.outbox.request(number)
        dispatch = await self.outbox.dispatch(number)
        if request is None:
            return False
        if request.status is S.AWAITING_PAYMENT:
            if dispatch is None or dispatch.payment is None:
                return True
            ref = dispatch.payment["payment_ref"]
            provider = dispatch.payment["provider"]
            status = await steps.call(  # the next tick tries again: never wait here
                "payments", lambda: steps.connectors.payment_status(ref, provider), fail_fast=True
            )
            await steps.record_paid(status, provider)
            return True
        if request.status is S.SENT_TO_AGENCY and dispatch is not None and dispatch.fell_back:
            await steps.submit(request, f"{number}:submit")  # the breaker decides whether to try
            return True
        if request.status is S.AGENCY_PROCESSING and request.agency_reference:
            agency, reference = request.agency_code, request.agency_reference
            answer = await steps.call(
                agency, lambda: steps.connectors.poll(agency, number, reference), fail_fast=True
            )
            # A poll may predate information the citizen has just given: polls only bring
            # final answers; questions come with the submission or by callback.
            if answer.outcome in (Outcome.ISSUED, Outcome.REJECTED):
                await steps.apply(number, answer)
            return True
        return request.status in (S.SENT_TO_AGENCY, S.PAID, S.SUBMITTED, S.INFO_REQUIRED)
