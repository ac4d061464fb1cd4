"""Shell completion and the manual page: the installed command's bash script, driven through
bash's own completion function as a TAB would; the zsh and fish scripts; `tkanban man` as man
shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import ok, run_cli, tkanban_exe


def complete_in_bash(line: str, cwd: Path) -> list[str]:
    """What bash offers for TAB at the end of ``line`` (words split on spaces)."""
    words = line.split(" ")
    script = (
        'eval "$(tkanban completion bash)"\n'
        f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}\n'
        f'COMP_WORDS=({" ".join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n'
        f'_python_argcomplete tkanban {words[-1]!r} {words[-2]!r}\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TKANBAN_")}
    env["PATH"] = f"{Path(tkanban_exe()[0]).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [word.strip() for word in done.stdout.splitlines() if word.strip()]


@pytest.mark.skipif(not Path(tkanban_exe()[0]).name == "tkanban", reason="needs the install")
def test_bash_completes_commands_lanes_and_boards(tmp_path: Path) -> None:
    db = tmp_path / "team.db"
    ok(run_cli("add", "a card", db=db, user="ann"))
    ok(run_cli("--board", "nlp", "add", "another", db=db, user="ann"))
    assert complete_in_bash("tkanban mo", tmp_path) == ["move"]
    offered = complete_in_bash("tkanban move 3 ", tmp_path)
    assert {"todo", "test-hypothesis", "done", "6"} <= set(offered)
    assert complete_in_bash("tkanban move 3 test-", tmp_path) == ["test-hypothesis"]
    assert complete_in_bash(f"tkanban --db {db} --board ", tmp_path) == ["main", "nlp"]
    assert complete_in_bash("tkanban --db missing.db --board ", tmp_path) == []
    assert "--outcome" in complete_in_bash("tkanban close 3 --o", tmp_path)
    assert not (tmp_path / "missing.db").exists()  # asking wrote nothing


@pytest.mark.parametrize(("shell", "loads"), [
    ("zsh", "compdef _python_argcomplete tkanban"),
    ("fish", "complete --command tkanban"),
])
def test_the_other_shells_get_their_script(shell: str, loads: str) -> None:
    assert loads in ok(run_cli("completion", shell))


def test_an_unknown_shell_is_a_usage_error() -> None:
    result = run_cli("completion", "tcsh")
    assert result.returncode == 2 and "invalid choice: 'tcsh'" in result.stderr


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_loads_the_script(tmp_path: Path) -> None:
    script = tmp_path / "tkanban.fish"
    script.write_text(ok(run_cli("completion", "fish")))
    assert subprocess.run(["fish", "-n", str(script)], capture_output=True).returncode == 0


def test_the_manual_page_is_made_from_the_parser() -> None:
    page = ok(run_cli("man"))
    assert page.startswith('.TH TKANBAN "1"')
    for command in ("move", "close", "pin", "mcp", "completion"):
        assert f"tkanban {command}" in page.replace("\\-", "-")
    if shutil.which("man"):
        shown = subprocess.run(["man", "-l", "-"], input=page, capture_output=True, text=True,
                               env={**os.environ, "MANWIDTH": "80"}).stdout
        assert "tkanban - a keyboard-driven Kanban board" in shown
