"""The kinds of argument the commands take, checked as argparse parses them: a card's number,
a whole number of sane size, a port, seconds, a number of sessions, an event id."""

from __future__ import annotations

import argparse

PROG = "tkanban"
EDIT = "\0edit"
"""``--description`` given without a value: write it in the user's editor."""
BIGGEST = 2**62
"""Ids and counts beyond this are typing mistakes (and beyond what a database column holds)."""


def number(value: str) -> int:
    """A whole number of sane size (``--position``, a WIP limit)."""
    try:
        found = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if abs(found) > BIGGEST:
        raise argparse.ArgumentTypeError(f"too large: {value!r}")
    return found


def card_id(value: str) -> int:
    """A card's number, as the board shows it (``12`` or ``#12``)."""
    try:
        found = int(value.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a card number: {value!r}") from None
    if not 1 <= found <= BIGGEST:
        raise argparse.ArgumentTypeError(f"no card has the number {value!r}")
    return found


def port(value: str) -> int:
    found = number(value)
    if not 1 <= found <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value!r}")
    return found


def sessions(value: str) -> int:
    found = number(value)
    if not 1 <= found <= 1000:
        raise argparse.ArgumentTypeError(f"sessions from 1 to 1000, not {value!r}")
    return found


def seconds(value: str) -> float:
    """A positive number of seconds, at most a day."""
    try:
        found = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0.1 <= found <= 86400:
        raise argparse.ArgumentTypeError(f"seconds from 0.1 to 86400, not {value!r}")
    return found


def since_arg(value: str) -> int | str:
    """``--since``: an event id, or ``latest`` (only what happens from now on)."""
    if value == "latest":
        return value
    try:
        found = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an event id or 'latest': {value!r}") from None
    if not 0 <= found <= BIGGEST:
        raise argparse.ArgumentTypeError(f"an event id is 0 or more: {value!r}")
    return found
