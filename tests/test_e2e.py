"""The installed ``tkanban`` command in a real terminal (tmux): keys in, screen and file out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import run_cli, tkanban_exe

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Terminal:
    """One tmux session running tkanban."""

    def __init__(self, command: list[str], width: int, height: int, env: dict[str, str]) -> None:
        self.name = f"tk-{uuid.uuid4().hex[:8]}"
        self.socket = f"tk-{uuid.uuid4().hex[:8]}"
        env_args = [f"{k}={v}" for k, v in env.items()]
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                   "env", "-u", "COLUMNS", "-u", "LINES", *env_args, *command)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def keys(self, *keys: str, pause: float = 0.4) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.4)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def title(self) -> str:
        return self._tmux("display-message", "-p", "-t", self.name, "#{pane_title}").strip()

    def wait_for(self, check: Callable[[str], bool], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen was:\n{text}")
            time.sleep(0.2)

    def alive(self) -> bool:
        result = subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", self.name],
                                capture_output=True)
        return result.returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


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


def cards(db: Path | str) -> list[dict]:
    result = run_cli("list", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """The board draws a change at once and writes it just after: wait for the file."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the file never showed the change"
        time.sleep(0.1)


def lane_of(db: Path | str, title: str) -> list[str]:
    return [c["lane"] for c in cards(db) if c["title"] == title]


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
        screen = term.wait_for(lambda s, n=lane: f"{title[:30]}" in s and f"#{n} " in s)
        assert f"#{lane} task" in screen
        term.keys("l")


def test_hostile_text_in_a_real_terminal(db_path: Path,
                                         terminal: Callable[..., Terminal]) -> None:
    card_id = run_cli("add", "[/] [@click=app.quit]boom[/]", db=db_path).stdout.strip()
    run_cli("log", card_id, "[bold]not bold[/bold] [@click=app.quit]x[/]", db=db_path)
    import sqlite3
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
    import re

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
    time.sleep(2.2)
    later = re.search(r"00:59:(\d\d) left", term.screen())
    assert later is not None and seconds - int(later.group(1)) in (2, 3)
    term.keys("l")
    term.wait_for(lambda s: re.search(r"00:0\d:\d\d over", s) is not None, timeout=5)
