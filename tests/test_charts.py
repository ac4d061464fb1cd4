"""The retro's charts: in the board's retro screen (drawn by plotext), checked against the
hand-computed figures of the retro's history board and its JSON."""

from __future__ import annotations

import pytest

from tkanban.core.storage.base import Store
from tkanban.tui.app import TkanbanApp
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.retro import RetroScreen

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
        assert "#2 2026-W45" in screen_text(app)  # the cards behind the bars, by week
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


def test_the_html_report_in_a_real_browser(history_board: Store,  # noqa: F811
                                           clock: StepClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tkanban.core.board.reads import history, phase_refs
    from tkanban.core.retro.figures import compute
    from tkanban.core.retro.html import retro_html

    from .browser import browser_page

    ops_title = "<script>alert(1)</script> & [b]x[/b]"
    from tkanban.core.board import cards as ops

    ops.edit_card(history_board, 2, author="ann", title=ops_title)
    cards, lanes = history(history_board, "main")
    retro = compute(cards, lanes, phase_refs(history_board, "main"), 2026, 11, clock.now)
    data = retro.to_json()
    page_file = tmp_path / "retro.html"
    page_file.write_text(retro_html(retro, "main"))
    requests: list[str] = []
    with browser_page() as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")

        def count(selector: str) -> int:
            return int(page.eval_on_selector_all(selector, "nodes => nodes.length"))

        assert count("section.chart svg") == 5
        assert count('g[id^="bar-throughput-"]') == len(data["throughput_per_week"])
        assert count('g[id^="point-cycle-"]') == 3 == len(data["closed"])
        assert count('g[id^="rule-cycle-"]') == 2  # median and 85th percentile
        assert count('g[id^="bar-lanes-"]') == len(data["lane_time_seconds"]) == 6
        assert count('g[id^="bar-outcomes-"]') == 6 * 3
        assert count('g[id^="bar-cfd-"]') == len(data["cumulative_flow"]["days"]) * 6
        assert count("script") == 0
        text = page.inner_text("body")
        assert ops_title in text  # shown as text, never run or parsed
    assert requests == [page_file.as_uri()]  # nothing left the page


def test_retro_html_on_the_command_line(db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from .conftest import run_cli

    run_cli("add", "x", db=db_path)
    result = run_cli("retro", "--format", "html", db=db_path)
    assert result.returncode == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert "No card closed in" in result.stdout  # an empty month says so
    code = ("import sys; sys.modules['matplotlib'] = None; from tkanban.cli import main; "
            "sys.exit(main(['--db', sys.argv[1], 'retro', '--format', 'html']))")
    missing = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                             text=True)
    assert missing.returncode == 1 and missing.stdout == ""
    assert "pip install 'tkanban[report]'" in missing.stderr
