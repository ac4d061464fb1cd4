"""Research flow in the board and on the command line: phases, mentions, retro, WIP limits."""

from __future__ import annotations

import json
from pathlib import Path

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.phases import running_phase, start_phase
from tkanban.core.storage.base import Store
from tkanban.tui.forms.phase import PhaseForm
from tkanban.tui.forms.wip import WipForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.help import MentionsScreen
from tkanban.tui.screens.retro import RetroScreen

from .conftest import StepClock, run_cli
from .screen import screen_lines, screen_text
from .test_tui import board, press, seed, settle


def test_phases_on_the_command_line(db: Path | str) -> None:
    result = run_cli("phase", "start", "PoC", "--timebox", "1w", "--goal",
                     "continue if AUC > 0.80", db=db)
    assert result.returncode == 0 and "PoC" in result.stdout
    again = run_cli("phase", "start", "Other", "--timebox", "1d", db=db)
    assert again.returncode == 1 and "still running" in again.stderr
    assert "running" in run_cli("phase", "list", db=db).stdout
    bad = run_cli("phase", "start", "X", "--timebox", "5x", db=db)
    assert bad.returncode == 1
    ended = run_cli("phase", "end", "--decision", "go", "--note", "AUC 0.83", db=db,
                    user="po")
    assert ended.returncode == 0, ended.stderr
    listed = run_cli("phase", "list", db=db).stdout
    assert "go" in listed and "AUC 0.83" in listed and "po" in listed
    data = json.loads(run_cli("phase", "list", "--json", db=db).stdout)
    assert [(p["name"], p["decision"], p["decided_by"]) for p in data] == [("PoC", "go", "po")]
    none = run_cli("phase", "end", "--decision", "stop", db=db)
    assert none.returncode == 1 and "no phase is running" in none.stderr
    usage = run_cli("phase", "end", "--decision", "maybe", db=db)
    assert usage.returncode == 2


def test_mentions_on_the_command_line(db: Path | str) -> None:
    card = run_cli("add", "review me", db=db).stdout.strip()
    run_cli("log", card, "@bob can you review?", db=db, user="alice")
    run_cli("log", card, "bobby said hi, mail bob@example.com", db=db, user="alice")
    bob = json.loads(run_cli("mentions", "--json", db=db,
                             env={"TKANBAN_USER": "bob"}).stdout)
    assert [(m["card_id"], m["text"], m["card_title"]) for m in bob] == [
        (int(card), "@bob can you review?", "review me")]
    assert json.loads(run_cli("mentions", "--json", db=db,
                              env={"TKANBAN_USER": "dave"}).stdout) == []


def test_lane_limit_on_the_command_line(db: Path | str) -> None:
    assert run_cli("lane", "limit", "test-hypothesis", "2", db=db).returncode == 0
    listed = run_cli("lane", "list", db=db).stdout
    assert "0/2" in listed
    assert run_cli("lane", "limit", "9", "2", db=db).returncode == 1
    assert run_cli("lane", "limit", "2", "0", db=db).returncode == 0
    assert "0/2" not in run_cli("lane", "list", db=db).stdout


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
