"""Forgetting a citizen (crypto-shredding): the admin's command, with its reason.

Order, for crash consistency: first ``Citizen.Forgotten`` is written (it holds no personal
data; its reason and the admin are kept for auditors), then the citizen's key is destroyed,
their national number unlinked from their id and command results naming them scrubbed, in one
transaction (core/privacy/shred.py). A crash between the two leaves a forgotten account whose
key and number still exist: running the command again, with the same idempotency key or a new
one, records nothing new and completes the destruction. Once it is complete the number names
no one: a new idempotency key then finds no citizen, the same one answers as the first time.
"""

from __future__ import annotations

from uuid import UUID

from khidma.core.domain.citizen import Citizen, parse_national_number
from khidma.core.privacy import numbers_of
from khidma.core.privacy.shred import shred

from .actor import Actor
from .runner import CommandRunner, NotFound, Result, Unit, as_result


class ForgetCommands:
    def __init__(self, runner: CommandRunner) -> None:
        self.runner = runner

    async def forget_citizen(
        self, actor: Actor, idempotency_key: str, *, national_number: str, reason: str
    ) -> Result:
        """Erase a citizen's personal data everywhere; counts and turnarounds stay."""

        numbers = numbers_of(self.runner.store)

        async def work(unit: Unit) -> Result:
            number = parse_national_number(national_number)
            citizen_id = await numbers.find(number)
            if citizen_id is None:
                raise NotFound("citizen", number)
            citizen = await unit.get(Citizen, citizen_id, "citizen")
            citizen.forget(reason=reason, by=actor.id, at=unit.at)
            return as_result({"citizen_id": citizen.id, "forgotten_at": citizen.forgotten_at})

        result = await self.runner.run(actor, "forget_citizen", idempotency_key, work)
        number = parse_national_number(national_number)
        await shred(self.runner.store, UUID(result["citizen_id"]), reason.strip(), [number])
        return result
