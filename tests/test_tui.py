"""The board driven with the real keys of SPEC.md, at 120x35 and 80x24 (Textual Pilot)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.tui.app import TkanbanApp
from tkanban.tui.forms.card import CardForm
from tkanban.tui.forms.log import LogForm
from tkanban.tui.forms.outcome import OutcomeForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.confirm import ConfirmDialog
from tkanban.tui.screens.help import HelpScreen

from .conftest import StepClock
from .screen import luminance, screen_lines, screen_text, text_colors

SIZES = [(120, 35), (80, 24)]
LANE_NAMES = ["To do", "Test hypothesis", "Code review hypothesis", "Update model",
              "Code review update model", "Done"]


@asynccontextmanager
async def board(store: Store, size: tuple[int, int], user: str = "alice",
                clock: Callable[[], float] | None = None) -> AsyncIterator[
                    tuple[TkanbanApp, Pilot]]:
    app = TkanbanApp(store, "main", user, clock=clock or store.clock, poll_interval=3600)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        yield app, pilot


async def settle(app: TkanbanApp, pilot: Pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(app: TkanbanApp, pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def lanes_in_file(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for card in q.list_cards(store):
        found.setdefault(card.lane_slug, []).append(card.title)
    return found


def seed(store: Store, *titles: str, lane: str = "todo") -> list[int]:
    return [ops.add_card(store, "main", t, author="ann", lane=lane).id for t in titles]


async def test_six_lanes_with_counts_at_120(store: Store) -> None:
    seed(store, "first card", "second card")
    ops.set_wip_limit(store, "main", "todo", 1)
    async with board(store, (120, 35)) as (app, _):
        text = screen_text(app)
        header = " ".join(screen_lines(app)[:2]).split()
        for name in LANE_NAMES:
            assert all(word in header for word in name.split()), name
        assert "2/1 over WIP" in text
        assert "first card" in text and "second card" in text


@pytest.mark.parametrize("size", SIZES)
async def test_every_lane_reachable_and_titles_readable(store: Store,
                                                        size: tuple[int, int]) -> None:
    title = "We believe a fine-tuned DistilBERT will reach precision 0.95"
    for lane in range(1, 7):
        ops.add_card(store, "main", f"{title} L{lane}", author="ann", lane=str(lane))
    async with board(store, size) as (app, pilot):
        for lane in range(6):
            lines = screen_lines(app)
            view = app.board_screen.lanes[lane].view
            shown = " ".join(view.render_line(y).text.strip(" ▌") for y in (1, 2, 3))
            assert title[:30] in " ".join(shown.split()), (lane, shown)
            if size == (80, 24):  # there, on a single line
                assert any(title[:30] in line for line in lines), "\n".join(lines)
            counts = lines[2].replace("▕", " ").split()
            assert counts == ["1"] * 6, lines[2]
            assert app.board_screen.current_card.title.endswith(f"L{lane + 1}")
            await press(app, pilot, "l")
        await press(app, pilot, "h", "left", "right")
        assert app.board_screen.current_card.title.endswith("L5")


@pytest.mark.parametrize("size", SIZES)
async def test_move_right_and_back(store: Store, size: tuple[int, int]) -> None:
    seed(store, "mover", "stayer")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "L")
        assert lanes_in_file(store) == {"todo": ["stayer"], "test-hypothesis": ["mover"]}
        assert app.board_screen.current_card.title == "mover"  # focus follows the card
        await press(app, pilot, "L", "shift+left", "H")
        assert lanes_in_file(store) == {"todo": ["mover", "stayer"]}  # lands on top
        await press(app, pilot, "shift+right")
        assert lanes_in_file(store)["test-hypothesis"] == ["mover"]
        moves = [e for e in q.get_card(store, 1).entries if e.kind == "move"]
        assert len(moves) == 5 and all(e.author == "alice" for e in moves)


@pytest.mark.parametrize("size", SIZES)
async def test_reorder_lifts_second_card(store: Store, size: tuple[int, int]) -> None:
    seed(store, "A", "B", "C")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "j", "K")
        assert lanes_in_file(store)["todo"] == ["B", "A", "C"]
        assert app.board_screen.current_card.title == "B"
        await press(app, pilot, "J", "shift+down")
        assert lanes_in_file(store)["todo"] == ["A", "C", "B"]
        await press(app, pilot, "shift+up")
        assert lanes_in_file(store)["todo"] == ["A", "B", "C"]
        await press(app, pilot, "down", "up", "k")
        assert app.board_screen.current_card.title == "A"


@pytest.mark.parametrize("size", SIZES)
async def test_new_card_form(store: Store, size: tuple[int, int]) -> None:
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l", "n")
        assert isinstance(app.screen, CardForm)
        await press(app, pilot, "ctrl+s")
        assert "title must not be empty" in screen_text(app)
        assert q.list_cards(store) == []
        await pilot.press(*"Ship the API")
        await press(app, pilot, "tab")  # title → time box (criteria are for hypotheses)
        await pilot.press(*"5x")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardForm)
        assert "bad time box '5x'" in screen_text(app)
        assert q.list_cards(store) == []
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.press(*"2d")
        await press(app, pilot, "enter")
        assert not isinstance(app.screen, CardForm)
        cards = q.list_cards(store)
        assert [(c.title, c.lane_slug, c.timebox_seconds, c.author) for c in cards] == [
            ("Ship the API", "test-hypothesis", 172800, "alice")]
        assert "Ship the API" in screen_text(app)


async def test_new_hypothesis_with_criteria_validated_as_you_type(store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, CardForm)
        form.query_one("#kind").value = "hypothesis"
        await settle(app, pilot)
        form.query_one("#title").focus()
        await pilot.press(*"We believe X")
        form.query_one("#criteria").focus()
        await pilot.press(*"auc >>= banana")
        await settle(app, pilot)
        assert "bad criterion" in screen_text(app)
        await press(app, pilot, "ctrl+s")
        assert q.list_cards(store) == []
        form.query_one("#criteria").value = "auc >= 0.8 and f1 > 0.5"
        await press(app, pilot, "ctrl+s")
        card = q.list_cards(store)[0]
        assert (card.kind, card.criteria) == ("hypothesis", "auc >= 0.8 and f1 > 0.5")


@pytest.mark.parametrize("size", SIZES)
async def test_escape_cancels_a_form(store: Store, size: tuple[int, int]) -> None:
    seed(store, "keep me")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "e")
        await pilot.press("ctrl+a", *"changed")
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, CardForm)
        assert q.list_cards(store)[0].title == "keep me"


@pytest.mark.parametrize("size", SIZES)
async def test_edit_card(store: Store, size: tuple[int, int]) -> None:
    seed(store, "old title")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        form.query_one("#title").value = "new title"
        await press(app, pilot, "ctrl+s")
        assert q.list_cards(store)[0].title == "new title"
        assert "new title" in screen_text(app)


async def test_stale_edit_is_refused_then_reapplied(store: Store) -> None:
    (card_id,) = seed(store, "original")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        ops.edit_card(store, card_id, author="bob", description="bob was here")
        form.query_one("#title").value = "alice's title"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardForm)
        assert "changed by bob" in screen_text(app)
        assert q.get_card(store, card_id).card.title == "original"
        await pilot.click("#reapply")
        await settle(app, pilot)
        detail = q.get_card(store, card_id)
        assert (detail.card.title, detail.card.description) == ("alice's title", "bob was here")


@pytest.mark.parametrize("size", SIZES)
async def test_log_entry_and_detail(store: Store, size: tuple[int, int]) -> None:
    seed(store, "research")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "a")
        assert isinstance(app.screen, LogForm)
        await pilot.press(*"tried lr 3e-5 @bob")
        await press(app, pilot, "tab")
        await pilot.press(*"auc=0.83")
        await press(app, pilot, "ctrl+s")
        entries = q.get_card(store, 1).entries
        assert (entries[-1].text, entries[-1].metrics, entries[-1].author) == (
            "tried lr 3e-5 @bob", {"auc": 0.83}, "alice")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        text = screen_text(app)
        assert "tried lr 3e-5 @bob" in text and "auc = 0.83" in text and "Research log (2)" \
            in text
        await press(app, pilot, "a")
        await pilot.press(*"from the pane")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardScreen)
        assert "from the pane" in screen_text(app)
        await press(app, pilot, "escape")
        assert app.screen is app.board_screen


@pytest.mark.parametrize("size", SIZES)
async def test_archive_asks_first(store: Store, size: tuple[int, int]) -> None:
    seed(store, "keep", "drop")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "x")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "n")
        assert len(q.list_cards(store)) == 2
        await press(app, pilot, "j", "x", "y")
        assert [c.title for c in q.list_cards(store)] == ["keep"]
        assert "drop" not in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_filter(store: Store, size: tuple[int, int]) -> None:
    ops.add_card(store, "main", "bob's task", author="ann", assignee="bob")
    ops.add_card(store, "main", "ann's hypothesis", author="ann", kind="hypothesis")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "slash")
        await pilot.press(*"@bob")
        await settle(app, pilot)
        text = screen_text(app)
        assert "bob's task" in text and "ann's hypothesis" not in text
        await press(app, pilot, "enter")
        await press(app, pilot, "j")  # keys drive the board again
        assert "filter: @bob" in screen_lines(app)[-1]
        await press(app, pilot, "escape", "slash")
        await pilot.press(*"kind:hypothesis")
        await settle(app, pilot)
        text = screen_text(app)
        assert "bob's task" not in text and "ann's hypothesis" in text
        await press(app, pilot, "escape")
        text = screen_text(app)
        assert "bob's task" in text and "ann's hypothesis" in text


async def test_filter_overdue(store: Store, clock: StepClock) -> None:
    late = ops.add_card(store, "main", "late one", author="ann", timebox_seconds=60)
    ops.add_card(store, "main", "fine one", author="ann", timebox_seconds=86400)
    ops.move_card(store, late.id, 2, author="ann")
    ops.move_card(store, late.id + 1, 2, author="ann")
    clock.advance(120)
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "slash")
        await pilot.press(*"overdue")
        await settle(app, pilot)
        text = screen_text(app)
        assert "late one" in text and "fine one" not in text


async def test_reload_and_live_changes(db_path: Path, store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        other = open_store(db_path)
        ops.add_card(other, "main", "from bob", author="bob")
        other.close()
        assert "from bob" not in screen_text(app)
        await press(app, pilot, "r")
        assert "from bob" in screen_text(app)
        other = open_store(db_path)
        ops.add_card(other, "main", "polled in", author="bob")
        other.close()
        app.poll()
        await settle(app, pilot)
        assert "polled in" in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_help_lists_every_key(store: Store, size: tuple[int, int]) -> None:
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for key in ["H L", "K J", "h l", "k j", "enter", "ctrl+p", "escape", "ctrl+s"]:
            assert key in text, key
        for word in ["new card", "edit", "research-log", "time box", "outcome", "archive",
                     "filter", "reload", "quit"]:
            assert word in text, word
        await press(app, pilot, "escape")
        assert app.screen is app.board_screen


async def test_quit(store: Store) -> None:
    async with board(store, (80, 24)) as (app, pilot):
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0 and not app.is_running


async def test_command_palette_runs_actions(store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "ctrl+p")
        await pilot.press(*"new card")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CardForm)


async def test_hypothesis_into_done_asks_for_outcome(store: Store) -> None:
    card = ops.add_card(store, "main", "We believe", author="ann", kind="hypothesis",
                        lane="review-model")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "l", "l", "l", "l")
        assert app.board_screen.current_card.id == card.id
        await press(app, pilot, "L")
        assert isinstance(app.screen, OutcomeForm)
        await press(app, pilot, "escape")
        assert q.get_card(store, card.id).card.lane_slug == "review-model"
        await press(app, pilot, "L")
        await press(app, pilot, "down", "enter")  # invalidated
        await press(app, pilot, "tab")
        await pilot.press(*"no gain")
        await press(app, pilot, "ctrl+s")
        done = q.get_card(store, card.id).card
        assert (done.lane_slug, done.outcome, done.conclusion) == ("done", "invalidated",
                                                                  "no gain")


async def test_timebox_and_countdown(store: Store, clock: StepClock) -> None:
    seed(store, "boxed")
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "t")
        await pilot.press(*"1h")
        await press(app, pilot, "enter")
        assert q.list_cards(store)[0].timebox_seconds == 3600
        await press(app, pilot, "L")
        assert "01:00:00 left" in screen_lines(app)[-1]
        clock.advance(2)
        app.tick()
        await pilot.pause()
        assert "00:59:58 left" in screen_lines(app)[-1]
        clock.advance(3600)
        app.tick()
        await pilot.pause()
        assert "00:00:02 over" in screen_lines(app)[-1]
        await press(app, pilot, "t")
        await pilot.press(*"2h")
        await press(app, pilot, "enter")
        assert "say why" in screen_text(app)
        await press(app, pilot, "tab")
        await pilot.press(*"more data")
        await press(app, pilot, "enter")
        assert q.list_cards(store)[0].timebox_seconds == 7200


HOSTILE_TITLE = "[/] [@click=app.quit]boom[/] [bold]x"


async def test_hostile_text_is_shown_literally(db_path: Path, store: Store) -> None:
    card = ops.add_card(store, "main", HOSTILE_TITLE, author="ann")
    ops.add_log(store, card.id, "log [/] [@click=app.quit]q[/]", author="ann")
    store.close()
    import sqlite3
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE log_entry SET text = ? WHERE kind = 'note'",
                 ("title \x1b]0;pwned\x07 and \x1b[31mred\x9b", ))
    conn.execute("UPDATE card SET assignee = ?", ("[red]eve",))
    conn.commit()
    conn.close()
    store = open_store(db_path)
    async with board(store, (120, 35)) as (app, pilot):
        text = screen_text(app)
        for fragment in ("[/]", "[@click=app.quit]", "[bold]x", "@[red]eve"):
            assert fragment in text, fragment
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "[/] [@click=app.quit]boom[/] [bold]x" in text
        assert "\x1b" not in app.export_screenshot()
        assert "␛]0;pwned␇" in text
        await pilot.click(offset=(20, 10))
        await press(app, pilot, "escape")
        assert app.is_running
    store.close()


async def test_read_only_board_refuses_writes(db_path: Path, store: Store) -> None:
    seed(store, "kept")
    store.close()
    ro = open_store(db_path, readonly=True)
    async with board(ro, (120, 35)) as (app, pilot):
        assert "read-only" in screen_lines(app)[-1]
        await press(app, pilot, "n")
        assert not isinstance(app.screen, CardForm)
        await press(app, pilot, "L")
        assert "read-only" in screen_text(app)
    ro.close()
    check = open_store(db_path)
    assert lanes_in_file(check) == {"todo": ["kept"]}
    check.close()


async def test_done_loads_older_cards_on_demand(store: Store) -> None:
    from tkanban.tui.control import controller as app_module

    for i in range(5):
        card = ops.add_card(store, "main", f"done {i}", author="ann")
        ops.move_card(store, card.id, "done", author="ann")
    original = app_module.DONE_PAGE
    app_module.DONE_PAGE = 2
    try:
        async with board(store, (120, 35)) as (app, pilot):
            await press(app, pilot, *["l"] * 5)
            assert "5 · latest 2" in screen_text(app)
            assert [c.title for c in app.board_screen.snapshot.lanes[5].cards] == [
                "done 4", "done 3"]
            await press(app, pilot, "j", "j")
            assert len(app.board_screen.snapshot.lanes[5].cards) == 4
            await press(app, pilot, "j", "j", "j")
            assert len(app.board_screen.snapshot.lanes[5].cards) == 5
            assert app.board_screen.current_card.title == "done 0"
    finally:
        app_module.DONE_PAGE = original


async def test_cards_follow_a_theme_change(store: Store) -> None:
    seed(store, "Alpha title", "Beta title")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "j")  # the focused card, and one drawn without focus
        app.theme = "textual-dark"
        await settle(app, pilot)
        assert all(luminance(c) > 0.5 for t in ("Alpha", "Beta")
                   for c in text_colors(app, t)), "light text on the dark theme"
        app.theme = "textual-light"
        await settle(app, pilot)
        await pilot.pause(0.1)
        for title in ("Alpha", "Beta", "1 To do"):
            colors = text_colors(app, title)
            assert colors and all(luminance(c) < 0.5 for c in colors), (title, colors)


async def test_board_read_before_the_app_runs_is_in_its_first_frame(db_path: Path,
                                                                    store: Store) -> None:
    seed(store, "Early card")
    app = TkanbanApp(store, "main", "alice", poll_interval=3600)
    app.read_first()  # what the tkanban command does before it runs the app
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the file for 2 s
    released = threading.Event()

    def release() -> None:
        other.execute("ROLLBACK")
        released.set()

    timer = threading.Timer(2.0, release)
    timer.start()
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.pause()
            assert "Early card" in screen_text(app) and "6 Done" in screen_text(app)
            assert not released.is_set(), "the board waited for the file instead"
            released.wait(5)
            await press(app, pilot, "L")
    finally:
        timer.cancel()
        other.close()
    assert lanes_in_file(store) == {"test-hypothesis": ["Early card"]}


async def test_quitting_right_after_moves_keeps_them(db_path: Path, store: Store) -> None:
    seed(store, "Moved then quit")
    app = TkanbanApp(store, "main", "alice", poll_interval=3600)
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    timer = threading.Timer(1.0, lambda: other.execute("ROLLBACK"))
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await settle(app, pilot)
            other.execute("BEGIN IMMEDIATE")  # another process writes for a second
            timer.start()
            await pilot.press("L", "L", "q")  # both moves on screen, neither in the file yet
            for _ in range(100):  # the app quits by itself once they are saved
                if app.return_code is not None:
                    break
                await pilot.pause(0.05)
    finally:
        timer.join()
        other.close()
    assert lanes_in_file(store) == {"review-hypothesis": ["Moved then quit"]}
