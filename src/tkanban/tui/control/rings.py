"""What rings for you while the board is open: a mention of you, a card of yours moved into a
review lane, your own time box running out. Each rings once: a notice on the board and, unless
``notify = false`` in config.toml, the terminal's own notification (OSC 9 or OSC 777 where the
terminal shows them as desktop notifications, the bell elsewhere)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Protocol

from textual.notifications import SeverityLevel

from tkanban.core.errors import TkanbanError
from tkanban.core.events.changes import events_after, for_user, latest_id
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import visible
from tkanban.tui.control.controller import BoardController
from tkanban.user.config import Config


class Host(Protocol):
    """What the rings need of the app that holds them."""

    control: BoardController
    config: Config

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def bell(self) -> None: ...

    def write_to_terminal(self, sequence: str) -> None:
        """Send an escape sequence to the terminal (a notification)."""

OSC9 = ("iTerm.app", "WezTerm", "ghostty")
"""``TERM_PROGRAM`` values of terminals that show OSC 9 as a notification."""


def terminal_sequence(title: str, body: str, env: Mapping[str, str]) -> str:
    """How this terminal is asked to notify: OSC 9, OSC 777, or the bell. Inside tmux or
    screen, the bell (which they pass on)."""
    body = visible(body, multiline=False).replace(";", ",")  # no control byte gets through
    term = env.get("TERM", "")
    if env.get("TMUX") or env.get("STY") or term.startswith(("screen", "tmux")):
        return "\a"
    if env.get("TERM_PROGRAM") in OSC9 or term == "xterm-kitty" or "ConEmuANSI" in env:
        return f"\x1b]9;{title}: {body}\a"
    if env.get("VTE_VERSION") or term.startswith(("foot", "rxvt-unicode")):
        return f"\x1b]777;notify;{title};{body}\x1b\\"
    return "\a"


def is_mine(card: CardInfo, user: str) -> bool:
    """A card is yours when it is assigned to you, or unassigned and written by you."""
    return (card.assignee or card.author).lower() == user.lower()


class Rings:
    """The board's ears: the events since it opened, heard after each reload."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.heard: int | None = None
        """The last event looked at; None until the board first read the events."""
        self.rung: list[str] = []
        """Everything that rang, in order."""

    async def hear(self) -> None:
        """Ring for each new event that concerns the user (none for what happened before the
        board opened)."""
        control = self.app.control
        try:
            if self.heard is None:
                self.heard = await control.call(latest_id, control.board)
                return
            found = await control.call(events_after, control.board, self.heard)
        except TkanbanError:
            return
        if found:
            self.heard = found[-1].id
        for event in found:
            if (message := for_user(event, control.user)) is not None:
                self.ring(message)

    def ring(self, message: str, severity: SeverityLevel = "information") -> None:
        self.rung.append(message)
        self.app.notify(message, severity=severity, markup=False, timeout=10)
        if not self.app.config.notify:
            return
        sequence = terminal_sequence("tkanban", message, os.environ)
        if sequence == "\a":
            self.app.bell()
        else:
            self.app.write_to_terminal(sequence)
