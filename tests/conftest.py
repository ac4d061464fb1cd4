"""Shared fixtures. Tests never touch the real user's data folder or board file."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tkanban.core.board.cards import ensure_board
from tkanban.core.storage import open_store

from . import pgserver

ENGINES = ("sqlite", "postgresql")
"""Every test that asks for a board (``store`` or ``db``) runs on a file and on a server; a
test that also asks for ``db_path`` is about the file itself and runs on the file only."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        file_only = "db_path" in metafunc.fixturenames
        metafunc.parametrize("engine", ENGINES[:1] if file_only else ENGINES)


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server for the whole run (each test gets its own database)."""
    server = pgserver.start()
    if server is None:
        pytest.skip("no PostgreSQL server binaries on this machine (Debian: apt install "
                    "postgresql); the PostgreSQL half of the suite cannot run")
    yield server
    server.close()


@pytest.fixture(scope="session")
def mlflow_server():
    """One real MLflow tracking server on loopback for the whole run."""
    from .mlflowserver import MlflowServer

    server = MlflowServer()
    yield server
    server.stop()


@pytest.fixture
def new_db(engine: str, tmp_path: Path,
           request: pytest.FixtureRequest) -> Callable[[], Path | str]:
    """Makes a new, empty place for a board on the test's engine: a file path, or a new
    database on the test server."""
    count = itertools.count()

    def make() -> Path | str:
        n = next(count)
        if engine == "sqlite":
            return tmp_path / ("board.db" if n == 0 else f"board{n}.db")
        server = request.getfixturevalue("pg_server")
        return str(server.url(server.new_database()))

    return make


@pytest.fixture
def db(new_db: Callable[[], Path | str]) -> Path | str:
    """Where the test's board lives: a file, or a new database on the test server."""
    return new_db()


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
def store(db: Path | str, clock: StepClock):
    store = open_store(db, clock=clock)
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


def run_cli(*args: str, db: Path | str | None = None, user: str | None = None,
            input: str | None = None,
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
