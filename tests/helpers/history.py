"""A board with a hand-computed history, for the retro (the ``history_board`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers.clock import StepClock

T0 = datetime(2026, 11, 2, tzinfo=UTC).timestamp()  # a Monday, ISO week 45
HOUR = 3600.0
DAY = 86400


def at(clock: StepClock, days: float) -> None:
    clock.now = T0 + days * DAY
