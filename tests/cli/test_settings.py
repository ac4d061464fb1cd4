"""Where things are found: environment, config.toml, keys, the editor."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers.cli import ok, run_cli
from tests.helpers.config import MOVED, write_config
from tkanban.user.config import load_config


def test_env_vars_and_default_path(db_path: Path, isolated_home: Path) -> None:
    ok(run_cli("add", "in the default file"))
    default = isolated_home / "data" / "tkanban" / "tkanban.db"
    assert default.exists()
    ok(run_cli("add", "in TKANBAN_DB", env={"TKANBAN_DB": str(db_path), "TKANBAN_USER": "zed"}))
    listed = json.loads(ok(run_cli("list", "--json", env={"TKANBAN_DB": str(db_path)})))
    assert [(c["title"], c["author"]) for c in listed] == [("in TKANBAN_DB", "zed")]
    ok(run_cli("--board", "research", "add", "other board", "--db", str(db_path)))
    assert len(json.loads(ok(run_cli("list", "--json", "--board", "research", db=db_path)))) == 1
    assert len(json.loads(ok(run_cli("list", "--json", db=db_path)))) == 1


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


def test_a_bad_editor_is_one_line(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tkanban.user.editor import EditorError, edit_text

    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", 'vim "x')
    with pytest.raises(EditorError, match="cannot be read as a command"):
        edit_text("text")
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    with pytest.raises(EditorError, match="cannot be started"):
        edit_text("text")


def test_a_config_nested_too_deep_is_a_warning(db_path: Path, isolated_home: Path) -> None:
    config = isolated_home / ".config" / "tkanban" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    env = {"XDG_CONFIG_HOME": str(isolated_home / ".config")}
    result = run_cli("add", "x", db=db_path, env=env)
    assert result.returncode == 0
    assert "nested too deeply" in result.stderr and "Traceback" not in result.stderr
    listed = run_cli("list", env={**env, "TKANBAN_DB": str(db_path)})
    assert listed.returncode == 0 and "x" in listed.stdout
    assert os.path.exists(config)
