"""The vocabulary in which the screens speak to the app: typed messages, posted up.

A screen never calls the app or reaches into it; it posts one of these, and the app decides
what happens. Attributes go down, messages come up. A ``Request`` opens a form or a pane: the
app hands every one to its flows (``Flows.answer``), which say per request what opens; the
others (moves, reloads, undo) the app answers itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from textual.message import Message

from tkanban.core.model.records import CardInfo, LaneInfo, Related


class Request(Message):
    """A request for a form or a pane, answered by the flows (``Flows.answer``)."""


@dataclass
class MoveCard(Message):
    """Move the focused card ``step`` lanes (-1 to the previous, 1 to the next)."""

    step: int


@dataclass
class ReorderCard(Message):
    """Move the focused card ``step`` places inside its lane (-1 up, 1 down)."""

    step: int


@dataclass
class NewCard(Request):
    """Open the new-card form for ``lane``."""

    lane: LaneInfo


@dataclass
class OpenCard(Request):
    """Open the card pane: details, criteria and research log."""

    card: CardInfo


@dataclass
class EditCard(Request):
    card: CardInfo


@dataclass
class AddLogEntry(Request):
    card: CardInfo


@dataclass
class SetTimebox(Request):
    card: CardInfo


@dataclass
class RecordOutcome(Request):
    card: CardInfo


@dataclass
class CloseCard(Request):
    """Close ``card`` into Done in one move: a hypothesis with its outcome, a task once the
    user says yes."""

    card: CardInfo


@dataclass
class ToggleBlock(Request):
    """Block ``card`` (asking why), or unblock it if it is blocked."""

    card: CardInfo


@dataclass
class OpenCardId(Request):
    """Open the pane of card ``card_id`` (a related card), over the one open now."""

    card_id: int


@dataclass
class RelateCard(Request):
    """Tie ``card`` to another card (a form asks which, and how)."""

    card: CardInfo


@dataclass
class Unrelate(Request):
    """Untie ``card`` from the card ``related`` (at once: undo ties them again)."""

    card: CardInfo
    related: Related


@dataclass
class LinkRun(Request):
    """Link an experiment run to ``card`` (a form asks which)."""

    card: CardInfo


@dataclass
class ArchiveCard(Request):
    """Archive ``card`` once the user says yes."""

    card: CardInfo


@dataclass
class SetWipLimit(Request):
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


class ShowMentions(Request):
    """The entries that mention the user."""


class ShowArchived(Request):
    """The archived cards, to open or restore."""


@dataclass
class ShowRetro(Request):
    """The retro of ``month`` (this month when None) moved by ``step`` months."""

    month: str | None = None
    step: int = 0


class StartPhase(Request):
    """Open the form that starts a board-level time box."""


class EndPhase(Request):
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
