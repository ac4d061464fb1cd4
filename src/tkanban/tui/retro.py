"""The retro screen: the month's report, with month navigation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from tkanban.core.retro import Retro
from tkanban.tui.messages import ShowRetro
from tkanban.tui.render import literal


def report_content(retro: Retro, width: int) -> Content:
    """The Markdown report, headings styled, every user value literal."""
    lines = []
    for line in retro.to_markdown(width=max(width - 16, 20), escape=False).splitlines():
        if line.startswith("#"):
            lines.append(Content.styled(line.lstrip("# "), "bold $accent"))
        elif line.startswith("```"):
            continue
        else:
            lines.append(literal(line.replace("**", "")))
    return Content("\n").join(lines)


class RetroScreen(Screen[None]):
    """``←``/``→`` (or ``[``/``]``) change the month; ``escape`` goes back."""

    DEFAULT_CSS = """
    RetroScreen #hint { dock: top; height: 1; background: $panel; color: $text-muted;
                        padding: 0 1; }
    RetroScreen #body { padding: 0 2; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("left,h,left_square_bracket", "month(-1)", "Previous month"),
        Binding("right,l,right_square_bracket", "month(1)", "Next month"),
    ]

    def __init__(self, retro: Retro) -> None:
        super().__init__()
        self.retro = retro

    def compose(self) -> ComposeResult:
        yield Static(id="hint")
        with VerticalScroll(id="body"):
            yield Static(id="report")

    def on_mount(self) -> None:
        self.show(self.retro)

    def show(self, retro: Retro) -> None:
        self.retro = retro
        self.query_one("#hint", Static).update(Content(
            f"Retro {retro.month} · ← → month · escape back"))
        self.query_one("#report", Static).update(report_content(retro, self.app.size.width))
        self.query_one("#body", VerticalScroll).scroll_home(animate=False)

    def action_month(self, step: int) -> None:
        self.post_message(ShowRetro(self.retro.month, step))

    def action_close(self) -> None:
        self.dismiss()
