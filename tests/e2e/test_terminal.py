"""The installed ``tkanban`` in a real terminal (tmux): keys in, screen and file out."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli, tkanban_exe
from tests.helpers.config import MOVED, write_config
from tests.helpers.runs import GET, RUN_A
from tests.helpers.scripted import Scripted, json_reply, mlflow_run, trickling
from tests.helpers.tmux import Terminal, terminal_env
from tkanban.tui.control.controller import WAIT_NOTICE_AFTER


def _term(db: Path, width: int, height: int, *args: str, **env: str) -> Any:
    from tests.helpers.tmux import Terminal

    base = {"TERM": "xterm-256color", "TKANBAN_USER": "alice", "HOME": os.environ["HOME"],
            "PATH": os.environ["PATH"], "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
    return Terminal([*tkanban_exe(), "--db", str(db), *args], width, height, {**base, **env})


def lane_of(db: Path | str, title: str) -> list[str]:
    return [c["lane"] for c in cards(db) if c["title"] == title]


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """The board draws a change at once and writes it just after: wait for the file."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the file never showed the change"
        time.sleep(0.1)


def cards(db: Path | str) -> list[dict]:
    result = run_cli("list", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def terminal(db: Path | str) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_(width: int = 200, height: int = 50, user: str = "alice") -> Terminal:
        env = {"TERM": "xterm-256color", "TKANBAN_USER": user, "HOME": os.environ["HOME"],
               "PATH": os.environ["PATH"], "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
        term = Terminal([*tkanban_exe(), "--db", str(db)], width, height, env)
        opened.append(term)
        return term

    yield open_
    for term in opened:
        term.close()


def test_drive_the_board_in_tmux(db: Path | str, terminal: Callable[..., Terminal]) -> None:
    run_cli("add", "first card", db=db)
    run_cli("add", "second card", db=db)
    term = terminal(200, 50)
    screen = term.wait_for(lambda s: "first card" in s and "Code review update model" in s)
    for name in ["To do", "Test hypothesis", "Code review hypothesis", "Update model",
                 "Code review update model", "Done"]:
        assert name in screen, name

    term.keys("L")
    eventually(lambda: lane_of(db, "first card") == ["Test hypothesis"])
    term.keys("H")
    eventually(lambda: lane_of(db, "first card") == ["To do"])

    term.keys("j", "K")
    eventually(lambda: [c["title"] for c in cards(db) if c["lane"] == "To do"] == [
        "second card", "first card"])

    term.keys("n")
    term.wait_for(lambda s: "New card in To do" in s)
    term.type("made in tmux")
    term.keys("C-s")
    term.wait_for(lambda s: "made in tmux" in s and "New card" not in s)
    assert "made in tmux" in [c["title"] for c in cards(db)]

    term.keys("a")
    term.wait_for(lambda s: "Log on #" in s)
    term.type("logged from tmux @bob")
    term.keys("C-s")
    term.wait_for(lambda s: "Log on #" not in s)
    focused = next(c for c in cards(db) if c["title"] == "made in tmux")
    assert focused["log_count"] == 2

    term.keys("Enter")
    term.wait_for(lambda s: "logged from tmux @bob" in s and "Research log" in s)
    term.keys("Escape")
    term.keys("?")
    term.wait_for(lambda s: "tkanban keys" in s and "command palette" in s)
    term.keys("Escape")

    term.keys("x")
    term.wait_for(lambda s: "Archive" in s)
    term.keys("y")
    term.wait_for(lambda s: "made in tmux" not in s)
    eventually(lambda: "made in tmux" not in [c["title"] for c in cards(db)])

    term.keys("q")
    deadline = time.monotonic() + 10
    while term.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not term.alive()


def test_small_terminal(db_path: Path, terminal: Callable[..., Terminal]) -> None:
    title = "We believe a fine-tuned DistilBERT will identify cases"
    for lane in range(1, 7):
        run_cli("add", f"{title} {lane}", "--lane", str(lane), db=db_path)
    term = terminal(80, 24)
    for lane in range(1, 7):
        screen = term.wait_for(lambda s, n=lane: f"{title[:30]}" in s and f"#{n} " in s)  # type: ignore[misc]
        assert f"#{lane} task" in screen
        term.keys("l")


def test_hostile_text_in_a_real_terminal(db_path: Path,
                                         terminal: Callable[..., Terminal]) -> None:
    card_id = run_cli("add", "[/] [@click=app.quit]boom[/]", db=db_path).stdout.strip()
    run_cli("log", card_id, "[bold]not bold[/bold] [@click=app.quit]x[/]", db=db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE log_entry SET text = ? WHERE kind = 'note'",
                 ("title change \x1b]2;PWNED\x07 here",))
    conn.commit()
    conn.close()
    term = terminal(200, 50)
    term.wait_for(lambda s: "[/] [@click=app.quit]boom[/]" in s)
    before = term.title()
    term.keys("Enter")
    term.wait_for(lambda s: "title change" in s and "PWNED" in s)
    term.keys("Escape")
    term.wait_for(lambda s: "[/] [@click=app.quit]boom[/]" in s)
    assert term.alive()
    assert "PWNED" not in term.title() and term.title() == before


def test_live_update_from_another_process(db: Path | str,
                                          terminal: Callable[..., Terminal]) -> None:
    run_cli("add", "already here", db=db)
    term = terminal(120, 35)
    term.wait_for(lambda s: "already here" in s)
    run_cli("add", "added by bob", db=db, user="bob")
    started = time.monotonic()
    term.wait_for(lambda s: "added by bob" in s, timeout=5)
    assert time.monotonic() - started < 3


def test_countdown_ticks_in_a_real_terminal(db_path: Path,
                                            terminal: Callable[..., Terminal]) -> None:

    run_cli("add", "boxed", "--timebox", "1h", "--lane", "2", db=db_path)
    run_cli("add", "ran out", "--timebox", "1m", "--lane", "3", db=db_path)
    conn = __import__("sqlite3").connect(db_path)
    conn.execute("UPDATE card SET clock_start = clock_start - 120 WHERE title = 'ran out'")
    conn.commit()
    conn.close()
    term = terminal(120, 35)
    term.wait_for(lambda s: "boxed" in s)
    term.keys("l")
    first = term.wait_for(lambda s: re.search(r"00:59:5\d left", s) is not None, timeout=5)
    seconds = int(re.search(r"00:59:(5\d) left", first).group(1))
    shown_at = time.monotonic()
    # it ticks: two seconds less is shown, and not sooner than two seconds later
    term.wait_for(lambda s: re.search(rf"00:59:{seconds - 2:02d} left", s) is not None,
                  timeout=10)
    assert time.monotonic() - shown_at > 1.0
    term.keys("l")
    term.wait_for(lambda s: re.search(r"00:0\d:\d\d over", s) is not None, timeout=5)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_moved_keys_in_a_real_terminal(db_path: Path, isolated_home: Path) -> None:
    from tests.helpers.cli import tkanban_exe
    from tests.helpers.tmux import Terminal

    write_config(isolated_home, MOVED + 'move-rigth = "x"\n')
    run_cli("add", "first", db=db_path)
    run_cli("add", "second", db=db_path)
    term = Terminal([*tkanban_exe(), "--db", str(db_path)], 120, 35, terminal_env())
    try:
        term.wait_for(lambda s: "second" in s and "line 4" in s and "move-rigth" in s,
                      timeout=30)
        term.keys("L", "j")  # the old keys: nothing moves, focus stays
        term.keys("C-n", "C-l")
        term.wait_for(lambda s: "1 " in s)
        listed = {c["title"]: c["lane"] for c in json.loads(
            run_cli("list", "--json", db=db_path).stdout)}
        assert listed == {"first": "To do", "second": "Test hypothesis"}
        term.keys("?")
        term.wait_for(lambda s: "ctrl+l" in s and "ctrl+n" in s)
    finally:
        term.close()


@pytest.mark.parametrize(("key", "size"), [("q", (120, 35)), ("C-c", (80, 24))])
def test_a_board_syncing_with_a_trickling_tracker_quits_at_once(
        db_path: Path, tracker: Scripted, key: str, size: tuple[int, int]) -> None:
    run_cli("add", "h", "--criteria", "auc >= 0.8", db=db_path)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    assert run_cli("link", "1", f"mlflow:{RUN_A}", "--tracking-uri", tracker.url,
                   db=db_path).returncode == 0
    tracker.on("/api/2.0/mlflow", trickling(1.0))
    tracker.seen.clear()
    term = _term(db_path, *size, "--tracking-uri", tracker.url)
    try:
        term.wait_for(lambda text: "#1 " in text)
        deadline = time.monotonic() + 10
        while not tracker.seen:  # the board's sync is waiting on the tracker now
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(WAIT_NOTICE_AFTER + 0.5)  # when a wait on the file would have said so
        assert "waiting for the board file" not in term.screen()  # it is not the file
        term.keys(key, pause=0)
        started = time.monotonic()
        while term.alive() and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert not term.alive()
        assert time.monotonic() - started < 2
    finally:
        term.close()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_a_hanging_editor_and_the_form_comes_back(
        db_path: Path, tmp_path: Path, presses: int) -> None:
    run_cli("add", "h", db=db_path)
    editor = tmp_path / "editor.sh"
    trap = 'trap "" INT\n' if presses == 2 else ""  # an editor that ignores one ctrl+c
    editor.write_text(f"#!/bin/sh\n{trap}sleep 600\n")
    editor.chmod(0o755)
    term = _term(db_path, 80, 24, EDITOR=str(editor), VISUAL="")
    try:
        term.wait_for(lambda text: "To do" in text)
        term.keys("n")
        term.wait_for(lambda text: "Title" in text)
        term.type("My unsaved title")
        term.keys("Tab", "Tab", "C-e", pause=0.5)
        term.wait_for(lambda text: "My unsaved title" not in text)  # the editor has the screen
        for _ in range(presses):
            term.keys("C-c", pause=0.3)
        # the form is back with its text, saying the editor was stopped
        term.wait_for(lambda text: "My unsaved title" in text and "was stopped" in text,
                      timeout=15)
        assert term.alive()
        term.keys("Escape", "q")
    finally:
        term.close()
