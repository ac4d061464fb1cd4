"""Durations, clocks and countdown text: pure functions over epoch seconds.

All time in tkanban comes from one injectable clock (a callable returning UTC epoch seconds), so
tests freeze or step it instead of sleeping.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tkanban.core.errors import ValidationError

Clock = Callable[[], float]
"""Returns the current time as UTC epoch seconds."""

system_clock: Clock = time.time

UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60}
_PART = re.compile(r"(\d+)\s*([wdhm])")
_WHOLE = re.compile(r"^(?:\s*\d+\s*[wdhm])+\s*$")
MAX_TIMEBOX = 365 * 86400


def parse_duration(text: str) -> int:
    """Parse ``30m``, ``4h``, ``2d``, ``1w`` or a combination such as ``1d12h`` into seconds."""
    raw = text.strip().lower()
    if not raw or not _WHOLE.match(raw):
        raise ValidationError(
            f"bad time box {text!r}: use a number and a unit m, h, d or w, "
            "e.g. 30m, 4h, 2d, 1w, 1d12h",
            "timebox",
        )
    seconds = sum(int(n) * UNIT_SECONDS[u] for n, u in _PART.findall(raw))
    if seconds <= 0:
        raise ValidationError(f"bad time box {text!r}: it must be longer than zero", "timebox")
    if seconds > MAX_TIMEBOX:
        raise ValidationError(f"bad time box {text!r}: at most a year", "timebox")
    return seconds


def format_duration(seconds: int | float | None) -> str:
    """The inverse of ``parse_duration`` for display: ``1w 2d``, ``4h 30m``; ``-`` for none."""
    if not seconds:
        return "-"
    rest = int(seconds)
    parts = []
    for unit, size in UNIT_SECONDS.items():
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts) or f"{int(seconds)}s"


def countdown(remaining: float) -> str:
    """``2d 03:14:07 left`` (days only when there are any) or ``00:04:12 over``."""
    over = remaining < 0
    total = int(abs(remaining)) if over else int(remaining)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if days:
        clock = f"{days}d {clock}"
    return f"{clock} {'over' if over else 'left'}"


LOW_SHARE = 0.25
"""A running box in its last quarter is running low."""


def urgency(remaining: float, length: float) -> str:
    """``over`` once a box has run out, ``low`` in its last quarter, else ``ok``: the one rule
    the board, the card pane and the countdown bar colour a box by."""
    if remaining < 0:
        return "over"
    return "low" if remaining < length * LOW_SHARE else "ok"


def finished(remaining: float, *, short: bool = False) -> str:
    """How a closed card ended against its box: ``finished, 1d 02:00:00 spare`` or
    ``finished, 00:04:12 over the box``; ``short`` for a list line: ``finished in its box`` or
    ``finished 3h over the box``."""
    if short:
        return ("finished in its box" if remaining >= 0
                else f"finished {short_left(remaining)} the box")
    if remaining >= 0:
        return "finished, " + countdown(remaining).replace("left", "spare")
    return "finished, " + countdown(remaining) + " the box"


def short_left(remaining: float) -> str:
    """A coarse form for cards: ``2d 3h left``, ``45m left``, ``3h over``."""
    over = remaining < 0
    total = int(abs(remaining))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    else:
        text = f"{max(minutes, 0)}m" if minutes or over else "<1m"
    return f"{text} {'over' if over else 'left'}"


def iso(ts: float | None) -> str | None:
    """UTC ISO 8601 text for an epoch time, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_time(ts: float) -> str:
    """Short local time for logs: ``2026-11-29 14:03``."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
