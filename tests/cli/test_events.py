"""``events`` and ``watch`` on the command line."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers.cli import run_cli, tkanban_exe


def test_events_on_the_command_line(db: Path | str) -> None:
    run_cli("add", "first", db=db, user="ann")
    run_cli("log", "1", "ping @bob", db=db, user="ann")
    run_cli("move", "1", "2", db=db, user="ann")
    lines = run_cli("events", db=db).stdout.splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["card.added", "log.added",
                                                             "card.moved"]
    since = run_cli("events", "--since", "1", "--type", "card", db=db).stdout.splitlines()
    assert [json.loads(line)["id"] for line in since] == [3]
    mention = run_cli("events", "--mention", "BOB", db=db).stdout.splitlines()
    assert [json.loads(line)["entry"]["text"] for line in mention] == ["ping @bob"]
    bad = run_cli("events", "--type", "card.eaten", db=db)
    assert bad.returncode == 1 and "no event type 'card.eaten'" in bad.stderr
    usage = run_cli("events", "--since", "yesterday", db=db)
    assert usage.returncode == 2 and "not an event id" in usage.stderr
    assert run_cli("events", "--since", "latest", db=db).stdout == ""


def test_follow_sees_another_process_within_two_seconds(db: Path | str) -> None:
    run_cli("add", "card", db=db, user="ann")
    proc = subprocess.Popen([*tkanban_exe(), "--db", str(db), "events", "--follow", "--since",
                             "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert '"card.added"' in proc.stdout.readline()  # it is up, and following
        moved_at = time.monotonic()
        run_cli("move", "1", "2", db=db, user="bob")
        assert proc.stdout is not None
        line = proc.stdout.readline()
        seen_after = time.monotonic() - moved_at
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    event = json.loads(line)
    assert (event["type"], event["actor"], event["to"]) == ("card.moved", "bob",
                                                            "test-hypothesis")
    assert seen_after < 2.0


def test_watch_needs_a_hook_and_a_real_url(db: Path | str) -> None:
    run_cli("add", "x", db=db, user="ann")
    none = run_cli("watch", db=db)
    assert none.returncode == 1 and "--exec COMMAND and/or --webhook URL" in none.stderr
    bad = run_cli("watch", "--webhook", "ftp://example.com/x", db=db)
    assert bad.returncode == 1 and "not an http(s) URL" in bad.stderr
