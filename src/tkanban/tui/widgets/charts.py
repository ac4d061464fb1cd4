"""The retro's charts in the terminal, one at a time, drawn by plotext through Textual's own
``textual-plotext`` widget (the ``charts`` extra) in the theme's colours. Under the
cycle-time chart, its points, slowest first; under the throughput bars, the cards closed each
week: ``enter`` on one opens the card."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tkanban.core.retro.charts import Chart
from tkanban.tui.loading import IMPORTING
from tkanban.tui.messages import OpenCardId
from tkanban.tui.render import literal


def plot_widget() -> type[Widget] | None:
    """textual-plotext's plot widget, or None without the charts extra."""
    try:
        with IMPORTING:  # the charts extra, loaded when the retro is first opened
            from textual_plotext import PlotextPlot
    except ImportError:
        return None
    return PlotextPlot  # type: ignore[no-any-return]


def _rgb(value: str | None, fallback: str) -> tuple[int, int, int]:
    color = Color.parse(value or fallback)
    return color.r, color.g, color.b


class ChartPanel(Vertical):
    """One chart at a time; ``show(i)`` picks which."""

    DEFAULT_CSS = """
    ChartPanel { height: 2fr; min-height: 10; }
    ChartPanel #chart-title { height: 1; color: $accent; text-style: bold; padding: 0 1; }
    ChartPanel #chart-empty { height: 1fr; content-align: center middle;
                              color: $text-muted; }
    ChartPanel #points { height: 5; border: none; padding: 0 1; }
    """

    def __init__(self, charts: list[Chart]) -> None:
        super().__init__()
        self.charts = charts
        self.index = 0

    @property
    def chart(self) -> Chart:
        return self.charts[self.index]

    def compose(self) -> ComposeResult:
        yield Static(id="chart-title")
        plot = plot_widget()
        if plot is None:
            yield Static(Content("charts need the charts extra: pip install 'tkanban[charts]'"),
                         id="chart-empty")  # Content: "[charts]" is text, not markup
        else:
            yield plot(id="plot")
            yield Static(id="chart-empty")
        yield OptionList(id="points")

    def on_mount(self) -> None:
        self.show(self.index)

    def update_charts(self, charts: list[Chart]) -> None:
        self.charts = charts
        self.show(self.index)

    def show(self, index: int) -> None:
        self.index = index % len(self.charts)
        chart = self.chart
        self.query_one("#chart-title", Static).update(Content(
            f"{self.index + 1}/{len(self.charts)} {chart.title} · tab next chart"))
        points = self.query_one("#points", OptionList)
        points.display = bool(chart.points) and not chart.empty
        order = (sorted(chart.points, key=lambda p: -p.y) if chart.kind == "scatter"
                 else sorted(chart.points, key=lambda p: (p.x, p.closed)))
        points.set_options(
            Option(Content.styled(f"#{p.card_id} {p.note}  ", "bold")
                   + literal(p.title, multiline=False), id=str(p.card_id))
            for p in order)
        if chart.points:
            points.highlighted = 0
        if not self.query("#plot"):
            return
        plot = self.query_one("#plot")
        empty = self.query_one("#chart-empty", Static)
        plot.display, empty.display = not chart.empty, chart.empty
        empty.update(chart.empty_text)
        if not chart.empty:
            self._draw(plot, chart)

    def _palette(self) -> list[tuple[int, int, int]]:
        theme = self.app.current_theme
        return [_rgb(theme.primary, "#0178d4"), _rgb(theme.secondary, "#004578"),
                _rgb(theme.success, "#4ebf71"), _rgb(theme.warning, "#ffa62b"),
                _rgb(theme.error, "#ba3c5b"), _rgb(theme.accent, "#ffa62b")]

    def _draw(self, plot: Widget, chart: Chart) -> None:
        plt = plot.plt  # type: ignore[attr-defined]
        plt.clear_data()
        plt.clear_figure()
        colors = self._palette()
        names = list(chart.series)
        values = list(chart.series.values())
        if chart.kind == "stack":
            plt.stacked_bar(chart.labels, values, labels=names,
                            color=colors[:len(names)] * 2)
        elif chart.kind == "bars":
            plt.bar(chart.labels, values[0], color=colors[0])
        elif chart.kind == "hbars":
            plt.bar(chart.labels, values[0], orientation="horizontal", color=colors[1])
        elif chart.kind == "groups":
            outcome = {"validated": colors[2], "invalidated": colors[4],
                       "inconclusive": colors[1]}
            plt.multiple_bar(chart.labels, values, labels=names,
                             color=[outcome[name] for name in names])
        else:
            plt.scatter([p.x for p in chart.points], [p.y for p in chart.points],
                        color=colors[0], marker="●")
            for (name, value), color in zip(chart.rules.items(), (colors[2], colors[3]),
                                            strict=False):
                plt.hline(value, color=color)
                plt.text(f" {name} {value:.1f} h ", x=31, y=value, color=color,
                         alignment="right")
            plt.xlim(0, 32)
        plt.ylabel(chart.unit)
        plot.refresh()

    @on(OptionList.OptionSelected, "#points")
    def _open(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(OpenCardId(int(event.option.id)))
