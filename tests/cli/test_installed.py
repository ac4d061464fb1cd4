"""The installed ``tkanban`` command as scripts run it: help, version, ``python -m``,
signals and deadlines of a command waiting on a slow tracker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.cli import ok, one_line_error, run_cli, run_installed, tkanban_exe
from tests.helpers.runs import GET, RUN_A, RUN_B
from tests.helpers.scripted import Scripted, json_reply, mlflow_run, trickling


def test_help_and_version() -> None:
    assert "move" in ok(run_installed("--help")) and "--db" in ok(run_installed("add", "--help"))
    assert ok(run_installed("--version")).startswith("tkanban ")


def test_python_dash_m(db_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "tkanban", "--db", str(db_path), "add", "m"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "1"


@pytest.mark.parametrize("command", ["link", "sync"])
def test_a_trickling_tracker_ends_link_and_sync_within_their_deadline(
        db_path: Path, tracker: Scripted, command: str) -> None:
    """A tracker that trickles its answer a byte a second: the command ends at its 10 s
    deadline with one line and exit 1 (``link`` ran 547 s before)."""
    run_cli("add", "h", "--criteria", "auc >= 0.8", db=db_path)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    ok(run_cli("link", "1", f"mlflow:{RUN_A}", "--tracking-uri", tracker.url, db=db_path))
    tracker.routes.clear()  # every answer trickles from now on
    tracker.on("/", trickling(1.0))
    args = ["link", "1", f"mlflow:{RUN_B}"] if command == "link" else ["sync"]
    started = time.monotonic()
    result = run_installed(*args, "--tracking-uri", tracker.url, db=db_path)
    took = time.monotonic() - started
    assert "no complete answer within 10 s" in one_line_error(result)
    assert took < 20, took


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_a_command_waiting_on_a_tracker(db_path: Path, tracker: Scripted,
                                                      sig: signal.Signals) -> None:
    run_cli("add", "h", db=db_path)
    tracker.on(GET + RUN_A, trickling(1.0))
    proc = subprocess.Popen([*tkanban_exe(), "--db", str(db_path), "link", "1",
                             f"mlflow:{RUN_A}", "--tracking-uri", tracker.url],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not any(s.path.startswith(GET) for s in tracker.seen):  # it is waiting now
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(sig)
    started = time.monotonic()
    _, err = proc.communicate(timeout=10)
    assert time.monotonic() - started < 2
    assert proc.returncode == 128 + sig
    assert f"stopped by {sig.name}" in err and "Traceback" not in err
