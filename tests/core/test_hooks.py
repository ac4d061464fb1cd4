"""Events delivered to commands and webhooks: retries, timeouts, redirects, a watcher
killed and restarted (real HTTP servers on loopback)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli, tkanban_exe
from tests.helpers.events import every_change
from tests.helpers.scripted import Reply, Scripted
from tkanban.core.board import cards as ops
from tkanban.core.events import changes as ev
from tkanban.core.events.changes import Event, cursor
from tkanban.core.events.hooks import WebhookHook
from tkanban.core.storage import open_store


def event(n: int = 1) -> Event:
    return Event(n, "card.moved", 1_780_000_000.0, "ann", "main", 1, {"card": {"id": 1}})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def stop(proc: subprocess.Popen[str]) -> str:
    """SIGTERM, as systemd stops a watcher: it ends within a few seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # its threads' stacks, to say where it hung
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"the watcher did not stop on SIGTERM:\n{err}")
    return err


def watcher(db: Path | str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*tkanban_exe(), "--db", str(db), "--user", "w", "watch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"})


def read_until(proc: subprocess.Popen[str], text: str) -> str:
    """What the watcher says on stderr, up to the first line holding ``text``."""
    assert proc.stderr is not None
    said = ""
    while text not in said:
        line = proc.stderr.readline()
        assert line, f"the watcher ended without saying {text!r}: {said}"
        said += line
    return said


def wait_for_cursor(db: Path | str, name: str, timeout: float = 30) -> None:
    """Until the watcher ``name`` has kept its place in the board (it is up)."""
    store = open_store(db)
    try:
        deadline = time.monotonic() + timeout
        while cursor(store, "main", name) is None:
            assert time.monotonic() < deadline, f"the watcher {name} never started"
            time.sleep(0.05)
    finally:
        store.close()


class Receiver:
    """A webhook receiver: a real HTTP server on a loopback port that can stop and start
    again on the same port. ``status`` is what it answers."""

    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status == 200:
                    receiver.got.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook/s3cret-token"

    def ids(self) -> set[int]:
        return {body["id"] for body in self.got if "id" in body}

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.ids()) < count and time.monotonic() < deadline:
            time.sleep(0.05)


def test_webhooks_get_every_event_and_slack_text(db: Path | str, receiver: Receiver) -> None:
    slack = Receiver()
    try:
        run_cli("add", "<!channel> & *bold*", db=db, user="ann")
        proc = watcher(db, "--since", "0", "--webhook", receiver.url, "--webhook",
                       slack.url + "/slack", "--format", "json")
        run_cli("log", "1", "@here look", db=db, user="ann")
        receiver.wait_for(2)
        err = stop(proc)
        assert [b["type"] for b in receiver.got] == ["card.added", "log.added"]
        assert receiver.headers[0]["X-Tkanban-Event-Id"] == "1"
        assert "s3cret-token" not in err  # the webhook's secret path never shows
        proc = watcher(db, "--name", "chat", "--since", "0", "--webhook", slack.url,
                       "--format", "slack")
        slack.wait_for(0)
        deadline = time.monotonic() + 10
        while len(slack.got) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop(proc)
        texts = [b["text"] for b in slack.got if "text" in b]
        assert texts[0] == ("[main] ann added #1 &lt;!channel&gt; &amp; *bold* to To do "
                            "(event 1)")
        assert "@\u200bhere look" in texts[1]
    finally:
        slack.stop()


@pytest.mark.file_only
def test_every_event_type_reaches_a_webhook(db: Path | str, receiver: Receiver) -> None:
    store = open_store(db, clock=lambda: time.time() - 3 * 3600)  # boxes that ran out since
    ops.ensure_board(store, "main")
    every_change(store)
    store.close()
    proc = watcher(db, "--since", "0", "--webhook", receiver.url)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and {b["type"] for b in receiver.got} != set(ev.TYPES):
            time.sleep(0.05)
    finally:
        stop(proc)
    assert {b["type"] for b in receiver.got} == set(ev.TYPES)
    by_type = {b["type"]: b for b in receiver.got}
    assert by_type["card.moved"]["to"] == "test-hypothesis"
    assert by_type["log.added"]["entry"]["mentions"] == ["carol"]
    assert by_type["wip.exceeded"]["count"] == 2
    assert by_type["phase.ended"]["phase"]["decision"] == "go"
    assert by_type["timebox.expired"]["card"]["overdue"] is True
    assert by_type["card.archived"]["card"]["archived"] is True
    ids = [b["id"] for b in receiver.got]
    assert ids == sorted(ids)  # one hook gets them in order while none fails


@pytest.mark.file_only
def test_a_receiver_away_for_a_while_misses_nothing(db: Path | str,
                                                    receiver: Receiver) -> None:
    run_cli("add", "one", db=db, user="ann")
    proc = watcher(db, "--since", "0", "--webhook", receiver.url)
    try:
        receiver.wait_for(1)
        receiver.stop()  # the receiver goes away
        for title in ("two", "three", "four"):
            run_cli("add", title, db=db, user="ann")
        said = read_until(proc, "retrying in")  # it tried, failed, and will try again
        receiver.start()  # back on the same port
        receiver.wait_for(4)
        err = said + stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert receiver.ids() == {1, 2, 3, 4}
    assert "failed" in err and "retrying in" in err


@pytest.mark.file_only
def test_a_watcher_killed_and_restarted_leaves_no_gap(db: Path | str,
                                                      receiver: Receiver) -> None:
    run_cli("add", "zero", db=db, user="ann")
    proc = watcher(db, "--name", "team", "--webhook", receiver.url)  # first run: from now on
    wait_for_cursor(db, "team")  # it has started, and knows where it is
    writer = subprocess.Popen([*tkanban_exe(), "--db", str(db), "--user", "ann", "add", "a"])
    writer.wait()
    receiver.wait_for(1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for title in ("b", "c", "d"):
        run_cli("add", title, db=db, user="ann")
    proc = watcher(db, "--name", "team", "--webhook", receiver.url)
    receiver.wait_for(4)
    err = stop(proc)
    assert receiver.ids() == {2, 3, 4, 5}, err  # the card made before the first run is old
    assert "where it stopped" in err


@pytest.mark.file_only
def test_a_failing_or_hanging_hook_holds_nothing_up(db: Path | str, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    hang = (f'[ "$TKANBAN_EVENT_ID" = 1 ] && sleep 60; echo "$TKANBAN_EVENT_ID '
            f'$TKANBAN_EVENT_TYPE" >> {out}')
    other = tmp_path / "other.txt"
    run_cli("add", "one", db=db, user="ann")
    proc = watcher(db, "--since", "0", "--timeout", "1", "--exec", hang, "--exec", "exit 7",
                   "--exec", f"cat >> {other}")
    try:
        run_cli("add", "two", db=db, user="ann")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "2 card.added" not in (
                out.read_text() if out.exists() else ""):
            time.sleep(0.05)
        assert "2 card.added" in out.read_text()  # the hung first event did not hold it up
        lines = other.read_text().splitlines()
        assert [json.loads(line)["id"] for line in lines] == [1, 2]
    finally:
        err = stop(proc)
    assert "still running after 1 s: killed" in err
    assert "exited with status 7" in err


@pytest.mark.file_only
def test_env_of_a_hook_command(db: Path | str, tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    run_cli("add", "We believe $(rm -rf /) `x`", db=db, user="ann")
    result = run_cli("watch", "--since", "0", "--once", "--exec",
                     f'env | grep ^TKANBAN_EVENT_ | sort > {out}', db=db)
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert env["TKANBAN_EVENT_TYPE"] == "card.added"
    assert env["TKANBAN_EVENT_CARD_TITLE"] == "We believe $(rm -rf /) `x`"
    assert env["TKANBAN_EVENT_CARD_LANE"] == "todo" and env["TKANBAN_EVENT_ACTOR"] == "ann"
    assert os.path.exists("/")


@pytest.mark.file_only
def test_a_stopped_watcher_takes_its_running_hook_with_it(db: Path | str,
                                                         tmp_path: Path) -> None:
    run_cli("add", "x", db=db, user="ann")
    started = tmp_path / "started"
    proc = watcher(db, "--since", "0", "--timeout", "60", "--exec",
                   f"touch {started}; sleep 120")
    deadline = time.monotonic() + 10
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    before = time.monotonic()
    err = stop(proc)  # fails unless the hook, holding the watcher's stderr, is gone too
    assert time.monotonic() - before < 5 and proc.returncode == 143, err


def test_a_trickling_webhook_fails_at_its_timeout(tracker: Scripted) -> None:
    tracker.on("/hook", Reply(200, b"ok" * 1000, trickle=1.0))
    hook = WebhookHook(f"{tracker.url}/hook", "json", timeout=1.5)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="no complete answer within 1.5 s"):
        hook.deliver(event())
    assert time.monotonic() - started < 3


def test_a_redirecting_webhook_is_a_failed_logged_retried_delivery(
        db_path: Path, tracker: Scripted) -> None:
    elsewhere = Scripted()
    elsewhere.on("/", Reply(200, b"ok"))
    answers = iter([Reply(302, b"", {"Location": f"{elsewhere.url}/stolen"})] * 2)
    tracker.on("/hook", lambda seen: next(answers, Reply(200, b"ok")))
    run_cli("add", "one", db=db_path)
    try:
        watched = run_cli("watch", "--since", "0", "--once", "--webhook", f"{tracker.url}/hook",
                          db=db_path)
    finally:
        elsewhere.stop()
    assert watched.returncode == 0, watched.stderr
    assert watched.stderr.count("302") == 2 and "not followed" in watched.stderr
    assert "retrying" in watched.stderr
    assert elsewhere.seen == []  # nothing went to the other host
    posts = [s for s in tracker.seen if s.path == "/hook"]
    assert len(posts) == 3 and all(s.method == "POST" and s.body for s in posts)
    assert json.loads(posts[-1].body)["type"] == "card.added"
