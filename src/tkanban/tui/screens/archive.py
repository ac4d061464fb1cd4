"""The archived cards: out of the board's way, not out of reach."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tkanban.core.model.records import CardInfo
from tkanban.core.model.timebox import local_time
from tkanban.tui.render import literal

Choice = tuple[Literal["open", "restore"], CardInfo]


class ArchivedScreen(ModalScreen[Choice | None]):
    """Archived cards, most recently changed first: ``enter`` opens one, ``r`` puts the
    highlighted one back on the board (on top of the lane it left)."""

    DEFAULT_CSS = """
    ArchivedScreen { align: center middle; }
    ArchivedScreen > Vertical {
        width: 90; max-width: 100%; height: 80%; background: $surface;
        border: thick $accent; padding: 0 1;
    }
    ArchivedScreen OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("r", "restore", "Restore"),
    ]

    def __init__(self, cards: list[CardInfo]) -> None:
        super().__init__()
        self.cards = cards

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Archived cards — enter opens the card, r restores it, "
                                 "escape closes"))
            options = [
                Option(Content.styled(f"#{card.id} ", "bold") + literal(card.title, "bold")
                       + Content(f"\n  from {card.lane} · archived "
                                 f"{local_time(card.updated_at)}"), id=str(i))
                for i, card in enumerate(self.cards)
            ]
            if not options:
                options = [Option(Content("no card is archived"), disabled=True)]
            yield OptionList(*options)

    def _highlighted(self) -> CardInfo | None:
        index = self.query_one(OptionList).highlighted
        return self.cards[index] if index is not None and index < len(self.cards) else None

    def action_close(self) -> None:
        self.dismiss(None)

    def action_restore(self) -> None:
        if (card := self._highlighted()) is not None:
            self.dismiss(("restore", card))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(("open", self.cards[int(event.option.id)]))
