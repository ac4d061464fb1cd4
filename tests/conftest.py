"""Shared fixtures. Tests never touch the real user's data folder or board file."""

from __future__ import annotations

import itertools
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import pgserver
from tests.helpers.clock import StepClock
from tests.helpers.disk import mount_tmpfs
from tests.helpers.history import DAY, at
from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.scripted import Scripted, json_reply
from tkanban.core.board import cards as ops
from tkanban.core.board.cards import ensure_board
from tkanban.core.board.phases import end_phase, start_phase
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store

ENGINES = ("sqlite", "postgresql")
TESTS = Path(__file__).resolve().parent
CONTRACT = ("core", "storage")
"""The core's and the storage's tests are the storage contract: every test there that asks for
a board (``store`` or ``db``) runs on a file and on a server. The faces' tests (command line,
board, terminal) run on a file, and on a server too where the server matters (marked
``server``: live updates, reconnecting). A test that asks for ``db_path`` is about the file
itself; one marked ``file_only`` is about something else than storage (a tracker, a hook)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES if _on_both(metafunc) else ENGINES[:1])


def _on_both(metafunc: pytest.Metafunc) -> bool:
    test = metafunc.definition
    if "db_path" in metafunc.fixturenames or test.get_closest_marker("file_only"):
        return False
    if test.get_closest_marker("server"):
        return True
    return Path(test.path).resolve().relative_to(TESTS).parts[0] in CONTRACT


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """One throwaway PostgreSQL server for the whole run (each test gets its own database)."""
    server = pgserver.start()
    if server is None:
        pytest.skip("no PostgreSQL server binaries on this machine (Debian: apt install "
                    "postgresql); the PostgreSQL half of the suite cannot run")
    yield server
    server.close()


@pytest.fixture(scope="session")
def mlflow_server() -> Iterator[MlflowServer]:
    """One real MLflow tracking server on loopback for the whole run."""

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
def store(db: Path | str, clock: StepClock) -> Iterator[Store]:
    store = open_store(db, clock=clock)
    ensure_board(store, "main")
    yield store
    store.close()


@pytest.fixture
def tracker() -> Iterator[Scripted]:
    server = Scripted()
    server.on("/api/2.0/mlflow/experiments/search", json_reply({"experiments": []}))
    server.on("/api/2.0/mlflow/metrics/get-history", json_reply({"metrics": []}))
    yield server
    server.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not mount_tmpfs(mount, "600k"):
        pytest.skip("needs root to mount a small tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture
def history_board(store: Store, clock: StepClock) -> Store:
    def hyp(title: str, box_days: float, days: float) -> int:
        at(clock, days)
        return ops.add_card(store, "main", title, author="ann", kind="hypothesis",
                            timebox_seconds=int(box_days * DAY)).id

    h0 = hyp("october", 3, -5)
    at(clock, -4)
    ops.move_card(store, h0, "test-hypothesis", author="ann")
    at(clock, -3)
    ops.move_card(store, h0, "done", author="ann", outcome="validated", conclusion="c0")

    h1, h2, h3 = hyp("H1", 2, 0), hyp("H2", 1, 0), hyp("H3", 3, 0)
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    at(clock, 0)
    start_phase(store, "main", "PoC", 3 * DAY, "continue if AUC > 0.80", author="po")
    at(clock, 1)
    ops.move_card(store, h1, "test-hypothesis", author="ann")
    ops.move_card(store, h2, "test-hypothesis", author="ann")
    at(clock, 2)
    ops.move_card(store, h1, "done", author="ann", outcome="validated", conclusion="c1")
    ops.move_card(store, h2, "review-hypothesis", author="ann")
    ops.move_card(store, h3, "test-hypothesis", author="ann")
    at(clock, 3)
    end_phase(store, "main", "go", "AUC 0.83", author="po")
    at(clock, 4)
    ops.move_card(store, h2, "done", author="ann", outcome="invalidated", conclusion="c2")
    at(clock, 5)
    ops.set_timebox(store, h3, 4 * DAY, author="bob", reason="data late")
    at(clock, 7)
    ops.move_card(store, h3, "done", author="ann", outcome="validated", conclusion="c3")
    at(clock, 8)
    t1 = ops.add_card(store, "main", "T1", author="ann", timebox_seconds=DAY).id
    at(clock, 9)
    ops.move_card(store, t1, "update-model", author="ann")
    at(clock, 12)
    return store
