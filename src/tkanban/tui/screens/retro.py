"""The retro screen: the month's charts, one at a time, above its report, with month
navigation."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from tkanban.core.retro.charts import Chart, charts
from tkanban.core.retro.figures import Retro
from tkanban.tui.messages import ShowRetro
from tkanban.tui.render import literal
from tkanban.tui.widgets.charts import ChartPanel


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
    RetroScreen #body { padding: 0 2; height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Back"),
        Binding("left,h,left_square_bracket", "month(-1)", "Previous month"),
        Binding("right,l,right_square_bracket", "month(1)", "Next month"),
        Binding("tab", "chart(1)", "Next chart", priority=True),
        Binding("shift+tab", "chart(-1)", "Previous chart", priority=True),
    ]

    def __init__(self, retro: Retro) -> None:
        super().__init__()
        self.retro = retro
        self.panel = ChartPanel(self._charts(retro))

    def _charts(self, retro: Retro) -> list[Chart]:
        return charts(retro.to_json(), {lane.slug: lane.name for lane in retro.lanes})

    def compose(self) -> ComposeResult:
        yield Static(id="hint")
        yield self.panel
        with VerticalScroll(id="body"):
            yield Static(id="report")

    def on_mount(self) -> None:
        self.show(self.retro)

    def show(self, retro: Retro) -> None:
        self.retro = retro
        self.query_one("#hint", Static).update(Content(
            f"Retro {retro.month} · ← → month · tab chart · enter opens a point's card · "
            "escape back"))
        if self.panel.is_mounted:
            self.panel.update_charts(self._charts(retro))
        self.query_one("#report", Static).update(report_content(retro, self.app.size.width))
        self.query_one("#body", VerticalScroll).scroll_home(animate=False)

    def action_chart(self, step: int) -> None:
        self.panel.show(self.panel.index + step)
        if self.panel.chart.points and not self.panel.chart.empty:
            self.query_one("#points").focus()

    def on_key(self, event: events.Key) -> None:
        if event.character in ("1", "2", "3", "4", "5"):
            self.panel.show(int(event.character) - 1)
            event.stop()

    def action_month(self, step: int) -> None:
        self.post_message(ShowRetro(self.retro.month, step))

    def action_close(self) -> None:
        self.dismiss()
