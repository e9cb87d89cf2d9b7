"""Backoff with full jitter and the circuit breaker, on a clock the test moves."""

from __future__ import annotations

from khidma.plugins.dispatch.policy import Backoff, CircuitBreaker


def test_backoff_doubles_to_its_cap_with_full_jitter() -> None:
    backoff = Backoff(base=0.5, cap=4.0)
    highest = [backoff.delay(n, rng=lambda low, high: high) for n in range(1, 7)]
    assert highest == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [backoff.delay(n, rng=lambda low, high: low) for n in (1, 5)] == [0.0, 0.0]
    assert all(0 <= backoff.delay(n) <= 4.0 for n in range(1, 50))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_lets_one_trial_through_and_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=10.0, clock=clock)
    for _ in range(2):
        breaker.failure("justice")
    assert breaker.allow("justice") and not breaker.is_open("justice")
    breaker.failure("justice")
    assert not breaker.allow("justice") and breaker.remaining("justice") == 10.0
    assert breaker.allow("civil_registry")  # one circuit per agency
    clock.now += 10.0
    assert breaker.allow("justice")  # the trial
    assert not breaker.allow("justice")  # and only one
    breaker.failure("justice")
    clock.now += 10.0
    assert breaker.allow("justice")
    breaker.success("justice")
    assert (
        breaker.allow("justice") and breaker.allow("justice") and breaker.remaining("justice") == 0
    )
