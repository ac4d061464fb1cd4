"""Events, `tkanban events` and `tkanban watch`: every change as an event, followed from another
process, and delivered to hook commands and to a real HTTP server on loopback that goes away,
comes back, and outlives a watcher killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board.blocked import block_card, unblock_card
from tkanban.core.board.phases import end_phase, start_phase
from tkanban.core.board.relations import relate, unrelate
from tkanban.core.board.undo import restore_card, strike_entry
from tkanban.core.events import changes as ev
from tkanban.core.runs.sync import link_run, sync_one, unlink_run
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store

from .conftest import StepClock, run_cli, tkanban_exe


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def watcher(db: Path | str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*tkanban_exe(), "--db", str(db), "--user", "w", "watch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONFAULTHANDLER": "1"})


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


def types_of(store: Store) -> list[str]:
    return [e.type for e in ev.events_after(store, "main", 0)]


def every_change(store: Store) -> tuple[int, int]:
    """Make one change of every kind (a time box running out aside); the two cards' ids."""
    a = ops.add_card(store, "main", "We believe X", author="ann", kind="hypothesis",
                     timebox_seconds=3600)
    b = ops.add_card(store, "main", "Y", author="ann")
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    ops.move_card(store, a.id, "test-hypothesis", author="bob")
    ops.move_card(store, b.id, "test-hypothesis", author="bob")  # over the limit
    ops.edit_card(store, b.id, author="ann", title="Y2")
    ops.set_timebox(store, b.id, 3600, author="ann")
    entry = ops.add_log(store, a.id, "auc up, @Carol see", author="bob", metrics={"auc": 0.9})
    strike_entry(store, entry.id, struck=True, author="bob")
    ops.set_timebox(store, a.id, 7200, author="bob", reason="labels late")
    block_card(store, b.id, "GPU", author="ann")
    unblock_card(store, b.id, author="ann")
    relate(store, a.id, "blocks", b.id, author="ann")
    unrelate(store, a.id, None, b.id, author="ann")
    ops.set_outcome(store, a.id, "validated", "shipped", author="ann")
    ops.archive_card(store, b.id, author="ann")
    restore_card(store, b.id, author="ann")
    start_phase(store, "main", "PoC", 86400, "auc > 0.8", author="po")
    end_phase(store, "main", "go", "good", author="po")
    metrics = Path(tempfile.mkdtemp()) / "metrics.json"
    metrics.write_text('{"auc": 0.9}')
    link = link_run(store, b.id, f"dvclive:{metrics}", author="ann")
    sync_one(store, link)
    unlink_run(store, b.id, link.ref, author="ann")
    return a.id, b.id


def test_every_change_is_an_event_with_the_card(store: Store, clock: StepClock) -> None:
    a, b = every_change(store)
    clock.advance(3 * 3600)
    assert ops.expire_due(store, "main") == 2  # both boxes ran out
    assert ops.expire_due(store, "main") == 0  # once per box
    found = types_of(store)
    assert set(found) == set(ev.TYPES)
    events = {e.type: e for e in ev.events_after(store, "main", 0)}
    moved = ev.events_after(store, "main", 0)[2].to_json()
    assert (moved["type"], moved["actor"], moved["from"], moved["to"]) == (
        "card.moved", "bob", "todo", "test-hypothesis")
    assert moved["card"]["lane_slug"] == "test-hypothesis" and moved["card"]["id"] == a
    logged = events["log.added"]
    assert logged.mentions == ["carol"] and logged.data["entry"]["metrics"] == {"auc": 0.9}
    wip = events["wip.exceeded"].data
    assert (wip["lane"], wip["count"], wip["limit"], wip["card"]["id"]) == (
        "test-hypothesis", 2, 1, b)
    assert events["outcome.recorded"].data["card"]["outcome"] == "validated"
    assert events["phase.ended"].data["phase"]["decision"] == "go"
    expired = events["timebox.expired"]
    assert expired.actor == "tkanban" and expired.card_id in (a, b)
    ids = [e.id for e in ev.events_after(store, "main", 0)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    ops.set_timebox(store, a, 3 * 3600 + 60, author="bob", reason="more")  # runs again
    assert ops.expire_due(store, "main") == 0
    clock.advance(120)
    assert ops.expire_due(store, "main") == 1


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
                             "latest"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        time.sleep(1.0)  # following
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
    assert seen_after < 2.0 + 0.5  # the move itself is a new process too


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


def test_a_receiver_away_for_a_while_misses_nothing(db: Path | str,
                                                    receiver: Receiver) -> None:
    run_cli("add", "one", db=db, user="ann")
    proc = watcher(db, "--since", "0", "--webhook", receiver.url)
    try:
        receiver.wait_for(1)
        receiver.stop()  # the receiver goes away
        for title in ("two", "three", "four"):
            run_cli("add", title, db=db, user="ann")
        time.sleep(2.5)
        receiver.start()  # back on the same port
        receiver.wait_for(4)
        err = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert receiver.ids() == {1, 2, 3, 4}
    assert "failed" in err and "retrying in" in err


def test_a_watcher_killed_and_restarted_leaves_no_gap(db: Path | str,
                                                      receiver: Receiver) -> None:
    run_cli("add", "zero", db=db, user="ann")
    proc = watcher(db, "--name", "team", "--webhook", receiver.url)  # first run: from now on
    time.sleep(1.5)
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


def test_watch_needs_a_hook_and_a_real_url(db: Path | str) -> None:
    run_cli("add", "x", db=db, user="ann")
    none = run_cli("watch", db=db)
    assert none.returncode == 1 and "--exec COMMAND and/or --webhook URL" in none.stderr
    bad = run_cli("watch", "--webhook", "ftp://example.com/x", db=db)
    assert bad.returncode == 1 and "not an http(s) URL" in bad.stderr


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


async def test_the_board_rings_for_what_concerns_you(store: Store, clock: StepClock) -> None:
    from .screen import poll_until, screen_text
    from .test_tui import board

    mine = ops.add_card(store, "main", "Alice's card", author="ann", assignee="alice",
                        timebox_seconds=3600, lane="test-hypothesis")
    theirs = ops.add_card(store, "main", "Dave's card", author="dave",
                          lane="test-hypothesis", timebox_seconds=60)
    ops.add_log(store, mine.id, "@alice an old mention", author="bob")  # before: rings not
    async with board(store, (120, 35), user="alice", clock=clock) as (app, pilot):
        assert app.rings.rung == []
        ops.add_log(store, theirs.id, "numbers are in, @alice", author="bob")
        ops.move_card(store, theirs.id, "review-hypothesis", author="bob")  # not hers
        ops.move_card(store, mine.id, "review-hypothesis", author="bob")
        await poll_until(app, pilot, lambda: len(app.rings.rung) >= 2)
        assert app.rings.rung == [
            "bob mentioned you on #2 Dave's card: numbers are in, @alice",
            "bob moved your card #1 Alice's card to Code review hypothesis"]
        assert "bob mentioned you on #2" in screen_text(app)
        ops.move_card(store, mine.id, "test-hypothesis", author="alice")
        ops.add_log(store, mine.id, "note to self @alice", author="alice")  # her own doing
        await poll_until(app, pilot, lambda: False, timeout=1.5)
        assert len(app.rings.rung) == 2
        clock.advance(2 * 3600)  # both boxes run out: only hers rings
        app.tick()
        await pilot.pause()
        assert len(app.rings.rung) == 3 and "#1 Alice's card: its time box ran out" in \
            app.rings.rung[2]


def test_how_the_terminal_is_asked_to_notify() -> None:
    from tkanban.tui.control.rings import terminal_sequence

    assert terminal_sequence("tkanban", "hi", {"TERM_PROGRAM": "iTerm.app"}) == \
        "\x1b]9;tkanban: hi\a"
    assert terminal_sequence("tkanban", "a;b", {"VTE_VERSION": "7600"}) == \
        "\x1b]777;notify;tkanban;a,b\x1b\\"
    assert terminal_sequence("tkanban", "hi", {"TERM_PROGRAM": "iTerm.app",
                                               "TMUX": "/tmp/x"}) == "\a"
    assert terminal_sequence("tkanban", "hi", {"TERM": "xterm-256color"}) == "\a"
    hostile = terminal_sequence("tkanban", "x\x07\x1b]0;pwned\x07", {"TERM": "xterm-kitty"})
    assert hostile.count("\x1b") == 1 and hostile.count("\a") == 1  # its own, no more


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


def test_undo_and_restore_into_a_full_lane_say_so(store: Store) -> None:
    from tkanban.core.board.undo import CardState, put_card

    a = ops.add_card(store, "main", "a", author="ann", lane="test-hypothesis")
    b = ops.add_card(store, "main", "b", author="ann", lane="review-hypothesis")
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    back = CardState("test-hypothesis", 0, None, "", None, None)
    put_card(store, b.id, back, author="ann", expected_version=None)  # an undo moving it back
    ops.move_card(store, b.id, "review-hypothesis", author="ann")
    ops.archive_card(store, a.id, author="ann")
    ops.move_card(store, b.id, "test-hypothesis", author="ann")  # fills the lane
    restore_card(store, a.id, author="ann")  # a comes back into it: over the limit
    wip = [e.card_id for e in ev.events_after(store, "main", 0) if e.type == "wip.exceeded"]
    assert wip == [b.id, a.id]
