"""The key map: one table of actions drives the bindings, the help, the palette, `tkanban keys`
and the README's table; a user's config.toml moves keys, and a broken one is survived."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tkanban.core.storage.base import Store
from tkanban.tui.screens.help import HelpScreen
from tkanban.user.config import load_config
from tkanban.user.keys import ACTIONS

from .conftest import run_cli
from .screen import screen_text
from .test_tui import lanes_in_file, press, seed, settle

README = Path(__file__).parent.parent / "README.md"


def test_the_readme_key_table_matches_the_actions() -> None:
    text = README.read_text()
    table = text[text.index("## Keys"):]
    table = table[:table.index("\n\n", table.index("| key |"))]
    in_readme = set()
    for row in table.splitlines()[2:]:
        keys = row.split("|")[1]
        in_readme |= set(re.findall(r"`([^`]+)`", keys))
    in_table = {key for action in ACTIONS if action.shown for key in action.shown.split(" / ")}
    assert in_readme == in_table


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "tkanban" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


MOVED = '[keys]\nmove-right = "ctrl+l"\nfocus-next-card = "ctrl+n"\n'


def test_config_problems_name_their_line(isolated_home: Path) -> None:
    path = write_config(isolated_home, 'user = "dora"\n[keys]\nmove-rigth = "x"\n'
                                       'move-left = "j"\nmove-up = 3\n')
    config = load_config(path)
    assert config.user == "dora" and config.keys == {}
    problems = "\n".join(config.problems)
    assert "line 3: no action named 'move-rigth'" in problems
    assert "line 4: j is already focus-next-card's key; move-left keeps its default" in problems
    assert "line 5: the keys of move-up must be a text" in problems
    write_config(isolated_home, "user = \n")
    broken = load_config(path)
    assert broken.keys == {} and "not valid TOML" in broken.problems[0]
    assert "line 1" in broken.problems[0]


def test_keys_command_prints_the_keys_in_force(isolated_home: Path) -> None:
    write_config(isolated_home, MOVED)
    shown = run_cli("keys").stdout
    assert re.search(r"^move-right\s+ctrl\+l\s", shown, re.MULTILINE)
    assert re.search(r"^focus-next-card\s+ctrl\+n\s", shown, re.MULTILINE)
    data = {row["action"]: row["keys"] for row in json.loads(run_cli("keys", "--json").stdout)}
    assert data["move-right"] == "ctrl+l" and data["move-left"] == "shift+left,H"
    assert run_cli("config", "path").stdout.strip() == str(
        isolated_home / ".config" / "tkanban" / "config.toml")


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


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_moved_keys_in_a_real_terminal(db_path: Path, isolated_home: Path) -> None:
    from .conftest import tkanban_exe
    from .test_e2e import Terminal
    from .test_trust import _terminal_env

    write_config(isolated_home, MOVED + 'move-rigth = "x"\n')
    run_cli("add", "first", db=db_path)
    run_cli("add", "second", db=db_path)
    term = Terminal([*tkanban_exe(), "--db", str(db_path)], 120, 35, _terminal_env())
    try:
        term.wait_for(lambda s: "second" in s and "line 4" in s and "move-rigth" in s)
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
