"""Retry policy: exponential backoff with full jitter, and a circuit breaker per system."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Attempt ``n`` waits a random time up to ``base * 2**(n-1)``, capped (full jitter)."""

    base: float
    cap: float

    def delay(self, attempt: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        return rng(0, min(self.cap, self.base * 2 ** max(0, attempt - 1)))


class CircuitBreaker:
    """Per system: after ``threshold`` failures in a row it opens for ``cooldown`` seconds,
    then lets one trial call through (half-open); a success closes it again."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._failures: dict[str, int] = {}
        self._opened: dict[str, float] = {}

    def allow(self, system: str) -> bool:
        """May a call to ``system`` go through now?"""
        opened = self._opened.get(system)
        if opened is None:
            return True
        if self.clock() - opened >= self.cooldown:
            self._opened[system] = self.clock()  # half-open: one trial, then wait again
            return True
        return False

    def remaining(self, system: str) -> float:
        """Seconds until ``system``'s open circuit lets a trial call through (0 if closed)."""
        opened = self._opened.get(system)
        return 0.0 if opened is None else max(0.0, self.cooldown - (self.clock() - opened))

    def is_open(self, system: str) -> bool:
        return system in self._opened

    def success(self, system: str) -> None:
        self._failures.pop(system, None)
        self._opened.pop(system, None)

    def failure(self, system: str) -> None:
        failures = self._failures.get(system, 0) + 1
        self._failures[system] = failures
        if failures >= self.threshold:
            self._opened[system] = self.clock()


class Failed(Exception):
    """A step gave up: ``attempts`` transient failures, a refusal, or an open circuit."""

    def __init__(
        self,
        system: str,
        error: str,
        attempts: int,
        *,
        circuit_open: bool = False,
        refused: bool = False,
    ) -> None:
        super().__init__(f"{system}: {error}")
        self.system = system
        self.error = error
        self.attempts = attempts
        self.circuit_open = circuit_open
        self.refused = refused
