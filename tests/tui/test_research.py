"""Phases, mentions, the retro screen, WIP limits, time boxes running out, what rings."""

from __future__ import annotations

import pytest

from tests.helpers.board import board, press, seed, settle
from tests.helpers.clock import StepClock
from tests.helpers.history import DAY, HOUR
from tests.helpers.screen import poll_until, screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.phases import running_phase, start_phase
from tkanban.core.storage.base import Store
from tkanban.tui.app import TkanbanApp
from tkanban.tui.forms.phase import PhaseForm
from tkanban.tui.forms.wip import WipForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.help import MentionsScreen
from tkanban.tui.screens.retro import RetroScreen


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


async def test_the_board_rings_for_what_concerns_you(store: Store, clock: StepClock) -> None:
    from tests.helpers.board import board
    from tests.helpers.screen import screen_text

    mine = ops.add_card(store, "main", "Alice's card", author="ann", assignee="alice",
                        timebox_seconds=3600, lane="test-hypothesis")
    theirs = ops.add_card(store, "main", "Dave's card", author="dave",
                          lane="test-hypothesis", timebox_seconds=60)
    ops.add_log(store, mine.id, "@alice an old mention", author="bob")  # before: rings not
    async with board(store, (120, 35), user="alice", clock=clock) as (app, pilot):
        assert app.rings.rung == []
        ops.add_log(store, theirs.id, "numbers are in, @alice", author="bob")
        ops.move_card(store, theirs.id, "review-hypothesis", author="bob")  # not hers
        ops.move_card(store, mine.id, "review-hypothesis", author="bob")
        await poll_until(app, pilot, lambda: len(app.rings.rung) >= 2)
        assert app.rings.rung == [
            "bob mentioned you on #2 Dave's card: numbers are in, @alice",
            "bob moved your card #1 Alice's card to Code review hypothesis"]
        assert "bob mentioned you on #2" in screen_text(app)
        ops.move_card(store, mine.id, "test-hypothesis", author="alice")
        ops.add_log(store, mine.id, "note to self @alice", author="alice")  # her own doing
        await poll_until(app, pilot, lambda: False, timeout=1.5)
        assert len(app.rings.rung) == 2
        clock.advance(2 * 3600)  # both boxes run out: only hers rings
        app.tick()
        await pilot.pause()
        assert len(app.rings.rung) == 3 and "#1 Alice's card: its time box ran out" in \
            app.rings.rung[2]


def test_how_the_terminal_is_asked_to_notify() -> None:
    from tkanban.tui.control.rings import terminal_sequence

    assert terminal_sequence("tkanban", "hi", {"TERM_PROGRAM": "iTerm.app"}) == \
        "\x1b]9;tkanban: hi\a"
    assert terminal_sequence("tkanban", "a;b", {"VTE_VERSION": "7600"}) == \
        "\x1b]777;notify;tkanban;a,b\x1b\\"
    assert terminal_sequence("tkanban", "hi", {"TERM_PROGRAM": "iTerm.app",
                                               "TMUX": "/tmp/x"}) == "\a"
    assert terminal_sequence("tkanban", "hi", {"TERM": "xterm-256color"}) == "\a"
    hostile = terminal_sequence("tkanban", "x\x07\x1b]0;pwned\x07", {"TERM": "xterm-kitty"})
    assert hostile.count("\x1b") == 1 and hostile.count("\a") == 1  # its own, no more


async def test_phase_from_the_palette_shows_in_the_bar(store: Store, clock: StepClock) -> None:
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "ctrl+p")
        await pilot.press(*"start a phase")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PhaseForm)
        await pilot.press(*"PoC")
        await press(app, pilot, "tab")
        await pilot.press(*"1w")
        await press(app, pilot, "tab")
        await pilot.press(*"AUC > 0.8")
        await press(app, pilot, "ctrl+s")
        assert running_phase(store, "main").name == "PoC"
        assert "phase PoC 7d 00:00:00 left" in screen_lines(app)[-1]
        await press(app, pilot, "ctrl+p")
        await pilot.press(*"end the phase")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        await press(app, pilot, "ctrl+s")
        assert running_phase(store, "main") is None


async def test_mentions_view_jumps_to_the_card(store: Store) -> None:
    (card_id,) = seed(store, "needs alice")
    ops.add_log(store, card_id, "@alice have a look", author="bob")
    async with board(store, (120, 35)) as (app, pilot):
        assert "1 new mention" in screen_lines(app)[-1]
        assert "mention(s)" not in screen_lines(app)[-1] and "mentions" not in screen_lines(app)[-1]
        await press(app, pilot, "m")
        assert isinstance(app.screen, MentionsScreen)
        assert "@alice have a look" in screen_text(app)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == card_id
        await press(app, pilot, "escape")
        assert "new mention" not in screen_lines(app)[-1]


async def test_retro_screen_and_month_navigation(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "H", author="ann", kind="hypothesis")
    ops.move_card(store, card.id, "test-hypothesis", author="ann")
    clock.advance(3600)
    ops.move_card(store, card.id, "done", author="ann", outcome="invalidated",
                  conclusion="[/] no gain")
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "R")
        assert isinstance(app.screen, RetroScreen)
        month = app.screen.retro.month
        text = screen_text(app)
        assert "1 closed: 0 validated, 1 invalidated" in text and "[/] no gain" in text
        await press(app, pilot, "left")
        assert app.screen.retro.month != month and "0 closed" in screen_text(app)
        await press(app, pilot, "right", "escape")
        assert app.screen is app.board_screen


async def test_wip_limit_from_the_board(store: Store) -> None:
    seed(store, "a", "b")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "w")
        assert isinstance(app.screen, WipForm)
        await pilot.press("1")
        await press(app, pilot, "enter")
        assert q.get_lanes(store)[0].wip_limit == 1
        assert "2/1 over WIP" in screen_text(app)


async def test_overdue_notice_and_wrap_up(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "boxed", author="ann", kind="hypothesis",
                        timebox_seconds=60)
    ops.move_card(store, card.id, 2, author="ann")
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "l")
        clock.advance(61)
        app.tick()
        await settle(app, pilot)
        assert "time box ran out" in screen_text(app)
        assert "00:00:01 over" in screen_lines(app)[-1]
        await press(app, pilot, "enter")
        assert "time box ran out" in screen_text(app)
        await press(app, pilot, "n")  # extend instead
        await pilot.press(*"1h")
        await press(app, pilot, "tab")
        await pilot.press(*"needs one more run")
        await press(app, pilot, "enter")
        entries = q.get_card(store, card.id).entries
        assert entries[-1].kind == "extend" and "needs one more run" in entries[-1].text


def test_start_phase_twice_refused(store: Store) -> None:
    start_phase(store, "main", "A", 60, "", author="po")
    import pytest

    from tkanban.core.errors import ValidationError
    with pytest.raises(ValidationError):
        start_phase(store, "main", "B", 60, "", author="po")


async def test_without_the_charts_extra_the_retro_names_it(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import tkanban.tui.widgets.charts as charts

    monkeypatch.setattr(charts, "plot_widget", lambda: None)  # as without textual-plotext
    seed(store, "a card")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "R")
        assert "pip install 'tkanban[charts]'" in screen_text(app)
