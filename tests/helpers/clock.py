"""A clock the tests move by hand: ``clock.advance(60)``."""

from __future__ import annotations


class StepClock:
    """A clock tests move by hand: ``clock.advance(60)``."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
