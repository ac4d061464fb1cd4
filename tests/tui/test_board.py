"""The board driven with the real keys of SPEC.md, at 120x35 and 80x24 (Textual Pilot)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.helpers.board import LANE_NAMES, SIZES, board, lanes_in_file, press, seed, settle
from tests.helpers.cli import ok, run_cli, tkanban_exe
from tests.helpers.clock import StepClock
from tests.helpers.config import MOVED, write_config
from tests.helpers.damage import corrupt_lane_index
from tests.helpers.screen import luminance, screen_lines, screen_text, text_colors
from tests.helpers.tmux import Terminal, terminal_env
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.demo import fill_demo
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.tui.app import TkanbanApp
from tkanban.tui.forms.card import CardForm
from tkanban.tui.forms.outcome import OutcomeForm
from tkanban.tui.screens.help import HelpScreen
from tkanban.user.config import load_config

HOSTILE_TITLE = "[/] [@click=app.quit]boom[/] [bold]x"


def _board_pid(db_path: Path) -> int:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")[:-1]
            comm = (proc / "comm").read_text()
        except OSError:
            continue
        if argv[-2:] == [b"--db", str(db_path).encode()] and not comm.startswith(("tmux", "sh")):
            found.append(int(proc.name))
    assert len(found) == 1, found
    return found[0]


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


async def test_moved_keys_in_the_board_and_its_help(store: Store, isolated_home: Path) -> None:
    from tkanban.tui.app import TkanbanApp

    config = load_config(write_config(isolated_home, MOVED))
    seed(store, "first", "second")
    app = TkanbanApp(store, "main", "alice", poll_interval=3600, config=config)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "L")
        assert lanes_in_file(store) == {"todo": ["first", "second"]}, "the old key is free"
        await press(app, pilot, "ctrl+n", "ctrl+l")
        assert lanes_in_file(store) == {"todo": ["first"], "test-hypothesis": ["second"]}
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert "ctrl+l" in help_text and "ctrl+n" in help_text


async def test_a_theme_picked_is_remembered(store: Store, isolated_home: Path) -> None:
    from tkanban.tui.app import TkanbanApp

    path = write_config(isolated_home, MOVED)
    app = TkanbanApp(store, "main", "alice", poll_interval=3600, config=load_config(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.theme = "nord"  # what the palette's "Change theme" does
        await pilot.pause()
    config = load_config(path)
    assert config.theme == "nord" and config.keys["move-right"] == "ctrl+l"


@pytest.mark.parametrize("size", SIZES)
async def test_every_card_shows_its_id(store: Store, size: tuple[int, int]) -> None:
    fill_demo(store, "main")
    async with board(store, size) as (app, pilot):
        text = screen_text(app)
        assert app.board_screen.snapshot is not None
        shown = [card for lane in app.board_screen.snapshot.lanes for card in lane.cards[:2]]
        for card in shown:
            assert f"#{card.id}" in text, card.title


async def test_narrow_lanes_do_not_break_words(store: Store) -> None:
    ops.add_card(store, "main", "We believe DistilBERT helps", author="ann",
                 lane="test-hypothesis")
    async with board(store, (80, 24)) as (app, pilot):
        lines = screen_lines(app)
        cells = [line.split("▕")[1].strip() for line in lines[3:8] if line.count("▕") > 2]
        assert "believ" not in cells and "e" not in cells
        assert any(cell.endswith("…") for cell in cells)


def test_counts_are_worded_for_one_and_many(db_path: Path, tmp_path: Path) -> None:
    run_cli("add", "only card", db=db_path)
    export = tmp_path / "one.json"
    export.write_text(run_cli("export", db=db_path).stdout)
    result = run_cli("import", str(export), db=tmp_path / "copy.db")
    assert result.stdout.strip() == "imported 1 board, 1 card, 1 log entry, 0 phases, 0 relations"


@pytest.mark.parametrize("size", SIZES)
async def test_the_bar_keeps_who_where_and_help_in_view(store: Store, clock: StepClock,
                                                        size: tuple[int, int]) -> None:
    from tkanban.core.board.phases import start_phase

    fill_demo(store, "main")
    start_phase(store, "main", "Proof of concept for the claims team", 7 * 86400, "AUC > 0.8",
                author="po")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l")
        bar = screen_lines(app)[-1]
        where = store.mode.split()[0]  # "local", or "server" for a board on a server
        for part in ("#5 4d", "7d 00:00:00", "overdue", "mention", "@alice", where, "? help"):
            assert part in bar, (part, bar)


async def test_the_user_filter_finds_cards_whose_log_mentions_them(store: Store) -> None:
    ops.add_card(store, "main", "bob's task", author="ann", assignee="bob")
    asked = ops.add_card(store, "main", "asks bob", author="ann")
    ops.add_log(store, asked.id, "@bob can you check the labels?", author="ann")
    ops.add_card(store, "main", "nobody's", author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "slash")
        await pilot.press(*"@bob")
        await settle(app, pilot)
        text = screen_text(app)
        assert "bob's task" in text and "asks bob" in text and "nobody's" not in text


async def test_the_open_board_turns_read_only_on_damage(db_path: Path, store: Store) -> None:
    for title in ("one", "two"):
        ops.add_card(store, "main", title, author="ann")
    store.close()
    corrupt_lane_index(db_path)
    before = db_path.read_bytes()
    damaged = open_store(db_path)
    async with board(damaged, (120, 35)) as (app, pilot):
        for _ in range(50):
            if "damaged" in screen_lines(app)[-1]:
                break
            await pilot.pause(0.1)
        assert "read-only: damaged" in screen_lines(app)[-1]
        assert "The board file is damaged" in screen_text(app)
        await press(app, pilot, "L")
        await press(app, pilot, "n")
        assert "damaged" in screen_text(app)
    damaged.close()
    assert db_path.read_bytes() == before


async def test_bidi_controls_on_the_board(db_path: Path, store: Store) -> None:
    ops.add_card(store, "main", "left \u2067right\u2069 \u202dx", author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        text = screen_text(app)
        assert "⟨RLI⟩" in text and "\u2067" not in app.export_screenshot()
        await press(app, pilot, "enter")
        assert "left ⟨RLI⟩right⟨PDI⟩ ⟨LRO⟩x" in screen_text(app)
        await settle(app, pilot)


@pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux")
@pytest.mark.parametrize("sig", ["TERM", "HUP"])
def test_the_board_stops_cleanly_with_a_write_in_flight(db_path: Path, sig: str) -> None:

    ok(run_cli("add", "moving", db=db_path))
    command = " ".join([*tkanban_exe(), "--db", str(db_path)])
    term = Terminal(["sh", "-c", f"{command}; echo exit=$?; sleep 60"] if sig == "TERM"
                    else [*tkanban_exe(), "--db", str(db_path)], 120, 35, terminal_env())
    try:
        term.wait_for(lambda s: "moving" in s and "alice" in s)
        pid = _board_pid(db_path)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # the move is drawn at once; its write must wait
        term.keys("L", pause=0.6)
        if sig == "TERM":
            os.kill(pid, 15)
        else:
            term.close()  # the terminal goes away: the board gets SIGHUP, as over a dropped SSH
        time.sleep(0.5)
        holder.execute("ROLLBACK")
        holder.close()
        if sig == "TERM":
            screen = term.wait_for(lambda s: "exit=" in s)
            assert "exit=143" in screen
            assert "moving" not in screen and "To do" not in screen, "the terminal is restored"
        assert _gone(pid), (Path(f"/proc/{pid}/cmdline").read_bytes(),
                            [(t.name, (t / "wchan").read_text(), (t / "comm").read_text())
                             for t in Path(f"/proc/{pid}/task").iterdir()])
    finally:
        term.close()
    listed = json.loads(ok(run_cli("list", "--json", db=db_path)))
    assert [(c["title"], c["lane"]) for c in listed] == [("moving", "Test hypothesis")]
    assert not db_path.with_name(db_path.name + "-journal").exists()
    assert "passes" in ok(run_cli("check", db=db_path))


def test_the_board_says_it_created_a_file(tmp_path: Path) -> None:

    new = tmp_path / "new.db"
    term = Terminal([*tkanban_exe(), "--db", str(new)], 120, 35, terminal_env())
    try:
        term.wait_for(lambda s: "created a new board file" in s)
        term.keys("q")
    finally:
        term.close()
    assert new.exists()


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


async def test_a_cards_badge_turns_overdue_at_the_second_its_box_runs_out(
        store: Store, clock: StepClock) -> None:
    clock.advance(30 - clock() % 60)  # the box will end half-way through a minute
    card = ops.add_card(store, "main", "Boxed", author="ann", lane="test-hypothesis",
                        timebox_seconds=3600)
    deadline = card.clock_start + 3600  # type: ignore[operator]
    clock.advance(deadline - clock() - 20)  # 20 s left
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        app.tick()
        await pilot.pause()
        assert any("<1m left" in line for line in screen_lines(app))
        clock.advance(21)  # a second past the deadline, in the same minute
        app.tick()
        await pilot.pause()
        lines = screen_lines(app)
        assert any("! 0m over" in line for line in lines), lines
        assert not any("<1m left" in line for line in lines)
