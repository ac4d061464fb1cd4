"""The retro's charts: in the board's retro screen (drawn by plotext), checked against the
hand-computed figures of the retro's history board and its JSON."""

from __future__ import annotations

import pytest

from tkanban.core.store import Store
from tkanban.tui.app import TkanbanApp
from tkanban.tui.detail import CardScreen
from tkanban.tui.retro import RetroScreen

from .conftest import StepClock
from .screen import screen_text
from .test_retro import DAY, history_board  # noqa: F401 - the fixture
from .test_tui import press, settle

HOUR = 3600


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_retro_draws_each_chart(history_board: Store,  # noqa: F811
                                          clock: StepClock, size: tuple[int, int]) -> None:
    app = TkanbanApp(history_board, "main", "alice", clock=clock, poll_interval=3600)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "R")
        screen = app.screen
        assert isinstance(screen, RetroScreen)
        data = screen.retro.to_json()
        panel = screen.panel

        def shown(title: str) -> str:
            text = screen_text(app)
            assert title in text and "┤" in text, text  # a title, and a drawn axis
            return text

        shown("Cumulative flow")
        assert panel.chart.series["Done"][:5] == [1, 1, 1, 2, 2]  # as counted by hand
        assert panel.chart.series["Done"] == [float(n) for n in
                                              data["cumulative_flow"]["lanes"]["done"]]
        await press(app, pilot, "tab")
        shown("Throughput")
        weeks = dict(zip(panel.chart.labels, panel.chart.series["closed"], strict=True))
        assert weeks["2026-W45"] == 2 and weeks["2026-W46"] == 1
        assert sum(weeks.values()) == sum(w["done"] for w in data["throughput_per_week"])
        await press(app, pilot, "tab")
        text = shown("Cycle time")
        assert sorted(p.y for p in panel.chart.points) == [24, 72, 120]  # H1, H2, H3
        assert panel.chart.rules["median"] == data["cycle_time_seconds"]["median"] / HOUR == 72
        assert "#4 120.0 h" in text  # the slowest first, in the list under the chart
        await press(app, pilot, "enter")  # opens the outlier's card
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == 4
        await press(app, pilot, "escape")
        assert app.screen is screen
        await press(app, pilot, "tab")
        shown("Time spent in each lane")
        hours = dict(zip(panel.chart.labels, panel.chart.series["hours"], strict=True))
        assert hours["Test hypothesis"] == 7 * DAY / HOUR and hours["To do"] == 5 * DAY / HOUR
        await press(app, pilot, "tab")
        shown("Hypotheses closed per month")
        months = dict(zip(panel.chart.labels, panel.chart.series["validated"], strict=True))
        assert months == {"2026-06": 0, "2026-07": 0, "2026-08": 0, "2026-09": 0,
                          "2026-10": 1, "2026-11": 2}
        assert panel.chart.series["invalidated"][-1] == 1
        await press(app, pilot, "left", "left")  # September: nothing happened yet
        assert "Retro 2026-09" in screen_text(app)
        await press(app, pilot, "1")
        assert "No cards on the board in 2026-09: no flow to draw" in screen_text(app)
        await press(app, pilot, "2")
        text = screen_text(app)
        assert "Nothing closed in 2026-09" in text and "┤" not in text  # no empty frame
