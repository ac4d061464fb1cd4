"""The help screen (every key) and the mentions list."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tkanban.core.model.records import MentionInfo
from tkanban.core.model.timebox import local_time
from tkanban.tui.actions import FORM_KEYS, help_rows
from tkanban.tui.render import literal


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        background: $surface; border: round $accent; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, moved: dict[str, str] | None = None) -> None:
        super().__init__()
        self.moved = moved or {}
        """Actions the user put on other keys (config.toml): shown with those keys."""

    def compose(self) -> ComposeResult:
        rows = [Content.styled(f"{keys:<23}", "bold") + Content(what)
                for keys, what in help_rows(self.moved)]
        rows.append(Content.styled(f"{'card pane':<23}", "bold $accent")
                    + Content("a log · e edit · t box · o outcome · b block"))
        rows.append(Content.styled(f"{'form or dialog':<23}", "bold $accent")
                    + Content(" · ".join(f"{keys.split(' /')[0]} {word}"
                                         for keys, _, word in FORM_KEYS)))
        with VerticalScroll() as scroll:
            scroll.border_title = "tkanban keys · escape or ? closes"
            yield Static(Content("\n").join(rows))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss()


class MentionsScreen(ModalScreen[int | None]):
    """Entries that mention you, newest first; ``enter`` jumps to the card."""

    DEFAULT_CSS = """
    MentionsScreen { align: center middle; }
    MentionsScreen > Vertical {
        width: 90; max-width: 100%; height: 80%; background: $surface;
        border: thick $accent; padding: 0 1;
    }
    MentionsScreen OptionList { height: 1fr; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, user: str, mentions: list[MentionInfo]) -> None:
        super().__init__()
        self.user = user
        self.mentions = mentions

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(f"Mentions of @{self.user} — enter opens the card, "
                                 "escape closes"))
            options = [
                Option(Content.styled(f"{local_time(m.entry.at)}  #{m.card_id} ", "bold")
                       + literal(m.card_title, "bold") + Content("\n")
                       + literal(f"  {m.entry.author}: {m.entry.text}"), id=str(i))
                for i, m in enumerate(self.mentions)
            ]
            if not options:
                options = [Option(Content("nobody has mentioned you yet"), disabled=True)]
            yield OptionList(*options)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(self.mentions[int(event.option.id)].card_id)
