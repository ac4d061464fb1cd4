"""Shared fixtures. Tests never touch the real user's data folder or board file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tkanban.core.board import ensure_board
from tkanban.core.store import Store


class StepClock:
    """A clock tests move by hand: ``clock.advance(60)``."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("TKANBAN_DB", raising=False)
    monkeypatch.setenv("TKANBAN_USER", "tester")
    return home


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "board.db"


@pytest.fixture
def store(db_path: Path, clock: StepClock):
    store = Store.open(db_path, clock=clock)
    ensure_board(store, "main")
    yield store
    store.close()


def tkanban_exe() -> list[str]:
    """The installed console script next to this Python, else ``python -m tkanban``."""
    exe = Path(sys.executable).parent / "tkanban"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("tkanban")
    return [found] if found else [sys.executable, "-m", "tkanban"]


def run_cli(*args: str, db: Path | None = None, user: str | None = None, input: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = tkanban_exe()
    if db is not None:
        cmd += ["--db", str(db)]
    if user is not None:
        cmd += ["--user", user]
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd + list(args), capture_output=True, text=True, input=input,
                          env=full_env, timeout=60)
