"""The vocabulary in which the screens speak to the app: typed messages, posted up.

A screen never calls the app or reaches into it; it posts one of these, and the app decides
what happens (``@on`` handlers in ``app``). Attributes go down, messages come up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from textual.message import Message

from tkanban.core.model.records import CardInfo, LaneInfo, Related


@dataclass
class MoveCard(Message):
    """Move the focused card ``step`` lanes (-1 to the previous, 1 to the next)."""

    step: int


@dataclass
class ReorderCard(Message):
    """Move the focused card ``step`` places inside its lane (-1 up, 1 down)."""

    step: int


@dataclass
class NewCard(Message):
    """Open the new-card form for ``lane``."""

    lane: LaneInfo


@dataclass
class OpenCard(Message):
    """Open the card pane: details, criteria and research log."""

    card: CardInfo


@dataclass
class EditCard(Message):
    card: CardInfo


@dataclass
class AddLogEntry(Message):
    card: CardInfo


@dataclass
class SetTimebox(Message):
    card: CardInfo


@dataclass
class RecordOutcome(Message):
    card: CardInfo


@dataclass
class ToggleBlock(Message):
    """Block ``card`` (asking why), or unblock it if it is blocked."""

    card: CardInfo


@dataclass
class OpenCardId(Message):
    """Open the pane of card ``card_id`` (a related card), over the one open now."""

    card_id: int


@dataclass
class RelateCard(Message):
    """Tie ``card`` to another card (a form asks which, and how)."""

    card: CardInfo


@dataclass
class Unrelate(Message):
    """Untie ``card`` from the card ``related`` (at once: undo ties them again)."""

    card: CardInfo
    related: Related


@dataclass
class LinkRun(Message):
    """Link an experiment run to ``card`` (a form asks which)."""

    card: CardInfo


@dataclass
class ArchiveCard(Message):
    """Archive ``card`` once the user says yes."""

    card: CardInfo


@dataclass
class SetWipLimit(Message):
    lane: LaneInfo


@dataclass
class Reload(Message):
    """Read the board file again now; ``announce`` says so when done."""

    announce: bool = False


@dataclass
class LoadMoreDone(Message):
    """Done shows its latest cards; load older ones, then run ``then``."""

    then: Callable[[], Awaitable[None] | None]


@dataclass
class Undo(Message):
    """Take back the latest change (``redo``: do the latest taken back again)."""

    redo: bool = False


class ShowHelp(Message):
    """Every key."""


class ShowMentions(Message):
    """The entries that mention the user."""


class ShowArchived(Message):
    """The archived cards, to open or restore."""


@dataclass
class ShowRetro(Message):
    """The retro of ``month`` (this month when None) moved by ``step`` months."""

    month: str | None = None
    step: int = 0


class StartPhase(Message):
    """Open the form that starts a board-level time box."""


class EndPhase(Message):
    """Open the form that ends the running phase with a decision."""


@dataclass
class FindMentions(Message):
    """The filter names ``users``: which cards' logs mention them?"""

    users: list[str]


class _Poster(Protocol):
    def post_message(self, message: Message) -> bool: ...


class SharedActions:
    """The actions the board and the card pane both have (from the action table): each
    posts its request to the app. Mixed in after ``Screen``."""

    def action_help(self: _Poster) -> None:
        self.post_message(ShowHelp())

    def action_undo(self: _Poster) -> None:
        self.post_message(Undo())

    def action_redo(self: _Poster) -> None:
        self.post_message(Undo(redo=True))
