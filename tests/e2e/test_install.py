"""The package as people install it: the sdist and the wheel built from the repository, the
wheel installed as a tool with pipx (README's line) outside the repository, and the installed
program run for real: the demo (its DVCLive runs are package data), `list --json`, the
board's first frame in tmux (its styles are package data), and `tkanban mcp`'s tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.helpers.tmux import Terminal, terminal_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.environ.get("TKANBAN_SKIP_INSTALL") == "1",
                                reason="TKANBAN_SKIP_INSTALL=1")


def run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``tkanban`` that ``pipx install WHEEL[mcp]`` put on the path."""
    where = tmp_path_factory.mktemp("install")
    tools = where / "tools"
    run(sys.executable, "-m", "venv", tools)
    run(tools / "bin" / "pip", "install", "-q", "build", "pipx")
    dist = where / "dist"
    run(tools / "bin" / "python", "-m", "build", "--outdir", dist, ROOT)  # sdist, then wheel
    (wheel,) = dist.glob("tkanban-*.whl")
    assert len(list(dist.glob("tkanban-*.tar.gz"))) == 1
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TKANBAN_")},
           "PIPX_HOME": str(where / "pipx"), "PIPX_BIN_DIR": str(where / "bin")}
    run(tools / "bin" / "pipx", "install", f"{wheel}[mcp]", env=env, cwd=where)
    return where / "bin" / "tkanban"


def test_the_installed_tool_runs_the_demo_the_board_and_the_mcp_server(
        installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TKANBAN_")}
    db = tmp_path / "demo.db"
    run(installed, "--db", db, "demo", env=env, cwd=tmp_path)
    cards = json.loads(run(installed, "--db", db, "list", "--json", env=env, cwd=tmp_path))
    assert len(cards) == 10
    shown = json.loads(run(installed, "--db", db, "show", "5", "--json", env=env))
    assert shown["runs"] and shown["runs"][0]["metrics"]  # the demo's runs shipped
    assert shown["runs"][0]["history"]  # with their per-step history

    board = Terminal([str(installed), "--db", str(db)], 120, 35, terminal_env())
    try:
        screen = board.wait_for(lambda text: "Test hypothesis" in text and "#5" in text)
        assert "Done" in screen
    finally:
        board.close()

    async def tools() -> set[str]:
        server = StdioServerParameters(command=str(installed),
                                       args=["--db", str(db), "--user", "agent", "mcp"],
                                       env=env)
        async with Client(server) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    import asyncio
    assert {"list_cards", "show_card", "add_card", "close_card"} <= asyncio.run(tools())
