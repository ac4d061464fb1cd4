"""Nothing from outside takes over: trackers and webhooks that trickle, redirect or answer
hostile JSON; metrics files that loop or nest; a damaged board file; boards in one database;
passwords in URLs; editors that hang or fail; a config nested too deep."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.events.changes import Event
from tkanban.core.events.hooks import WebhookHook
from tkanban.core.runs.sync import link_run, sync
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.transfer.backup import dump, export_json, import_json

from .conftest import run_cli, tkanban_exe
from .scripted import Reply, Scripted, json_reply, mlflow_run, trickling

RUN_A, RUN_B, RUN_C = "a" * 32, "b" * 32, "c" * 32
GET = "/api/2.0/mlflow/runs/get?run_id="


@pytest.fixture
def tracker() -> Iterator[Scripted]:
    server = Scripted()
    server.on("/api/2.0/mlflow/experiments/search", json_reply({"experiments": []}))
    yield server
    server.stop()


def hypothesis(store: Store) -> int:
    return ops.add_card(store, "main", "We believe the model reaches auc >= 0.8",
                        author="ann", kind="hypothesis", criteria="auc >= 0.8").id


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines and "Traceback" not in result.stderr, result.stderr
    return lines[-1]


# --- deadlines ----------------------------------------------------------------------------------

def test_a_trickling_tracker_ends_link_and_sync_within_their_deadline(
        db_path: Path, tracker: Scripted) -> None:
    run_cli("add", "h", "--criteria", "auc >= 0.8", db=db_path)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    assert run_cli("link", "1", f"mlflow:{RUN_A}", "--tracking-uri", tracker.url,
                   db=db_path).returncode == 0
    tracker.on(GET + RUN_B, trickling(1.0))
    started = time.monotonic()
    linked = run_cli("link", "1", f"mlflow:{RUN_B}", "--tracking-uri", tracker.url, db=db_path)
    took = time.monotonic() - started
    assert "no complete answer within 10 s" in one_line_error(linked)
    assert took < 20, took  # 547 s before
    tracker.on("/api/2.0/mlflow/experiments/search", trickling(1.0))
    tracker.on(GET + RUN_A, trickling(1.0))
    started = time.monotonic()
    synced = run_cli("sync", "--tracking-uri", tracker.url, db=db_path)
    took = time.monotonic() - started
    assert synced.returncode == 1 and "no complete answer within 10 s" in synced.stderr
    assert "Traceback" not in synced.stderr
    assert took < 30, took


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


# --- webhooks -----------------------------------------------------------------------------------

def event(n: int = 1) -> Event:
    return Event(n, "card.moved", 1_780_000_000.0, "ann", "main", 1, {"card": {"id": 1}})


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


# --- hostile tracker answers --------------------------------------------------------------------

def hostile_answers() -> dict[str, Any]:
    deep = "[" * 5000 + "1" + "]" * 5000
    return {
        "huge": json.dumps(mlflow_run(RUN_B, "huge", {"auc": 0.9})).replace(
            '"value": 0.9', '"value": 1' + "0" * 400).encode(),
        "text": json.dumps(mlflow_run(RUN_B, "text", {"auc": "0.95", "loss": 0.1,
                                                      "bad\x1bname": 0.2})).encode(),
        "list": json.dumps({"run": {"info": [], "data": {}}}).encode(),
        "deep": json.dumps(mlflow_run(RUN_B, "deep", {"auc": 0.5})).replace(
            '"tags": []', '"tags": ' + deep).encode(),
        "nested": b'{"run": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "many": json.dumps(mlflow_run(RUN_B, "many", {f"m{i:06d}": i for i in range(200_000)}
                                      | {"auc": 0.85})).encode(),
    }


@pytest.mark.parametrize("kind", ["huge", "text", "list", "deep", "nested", "many"])
def test_hostile_tracker_answers_are_one_line_and_the_other_runs_sync(
        store: Store, tracker: Scripted, kind: str, tmp_path: Path) -> None:
    card = hypothesis(store)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    tracker.on(GET + RUN_B, json_reply(mlflow_run(RUN_B, "soon-bad", {"auc": 0.6})))
    link_run(store, card, f"mlflow:{RUN_A}", author="ann", tracking_uri=tracker.url)
    link_run(store, card, f"mlflow:{RUN_B}", author="ann", tracking_uri=tracker.url)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.75})))
    tracker.on(GET + RUN_B, Reply(200, hostile_answers()[kind]))
    report = sync(store, "main", tracking_uri=tracker.url)
    said = report.problems + report.warnings
    assert said, kind
    assert all("\n" not in line and "mlflow:bbbbbbbb" in line for line in said), said
    runs = {e.data["run"]: e for e in q.get_card(store, card).entries if e.kind == "run"}
    assert runs["good"].metrics == {"auc": 0.75}  # the other run synced
    if kind == "many":
        assert len(runs["many"].metrics) == 1000 and runs["many"].metrics["auc"] == 0.85
    if kind == "text":
        assert runs["text"].metrics == {"loss": 0.1}
        assert any("bad␛name" in line for line in said)
    exported = dump(export_json(store))
    again = open_store(tmp_path / "again.db")
    import_json(again, json.loads(exported))
    assert dump(export_json(again)) == exported
    again.close()


def test_a_real_tracker_with_control_characters_in_names(store: Store, mlflow_server: Any,
                                                         tmp_path: Path) -> None:
    card = hypothesis(store)
    client = mlflow_server.client()
    experiment = client.get_experiment_by_name("claims") or client.get_experiment(
        client.create_experiment("claims"))
    run = client.create_run(experiment.experiment_id,
                            run_name="red\x1b[31m @team \x07bell\u202eevil")
    client.log_metric(run.info.run_id, "auc", 0.83)
    client.set_terminated(run.info.run_id, "FINISHED")
    link = link_run(store, card, f"mlflow:{run.info.run_id}", author="ann",
                    tracking_uri=mlflow_server.url)
    assert "\x1b" not in link.name and "␛" in link.name and "⟨RLO⟩" in link.name
    assert any("name" in problem for problem in link.problems)
    report = sync(store, "main", tracking_uri=mlflow_server.url)
    assert report.entries == 1 and report.problems == []
    detail = q.get_card(store, card)
    assert detail.runs[0].metrics == {"auc": 0.83}
    assert q.mentions_of(store, "team", "main") == []  # a run's name pings nobody
    exported = dump(export_json(store))
    assert "\\u001b" not in exported and "\x1b" not in exported
    again = open_store(tmp_path / "again.db")
    import_json(again, json.loads(exported))
    assert dump(export_json(again)) == exported
    again.close()


# --- metrics files ------------------------------------------------------------------------------

def test_hostile_metrics_files_are_one_line(db_path: Path, tmp_path: Path) -> None:
    run_cli("add", "h", db=db_path)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 5000 + "1" + "}" * 5000)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 5000 + "]" * 5000)
    flat = tmp_path / "flat.json"
    flat.write_text("[1, 2]")
    for path, said in ((loop, "loop"), (deep, "nested"), (nested, "nested"),
                       (flat, "not an object")):
        result = run_cli("link", "1", f"dvclive:{path}", db=db_path)
        assert said in one_line_error(result).lower(), result.stderr
    huge = tmp_path / "huge.json"
    huge.write_text('{"auc": 0.9, "big": 1' + "0" * 400 + "}")
    assert "'big' is out of range" in one_line_error(run_cli("link", "1", f"dvclive:{huge}",
                                                             db=db_path))
    odd = tmp_path / "odd.json"
    odd.write_text('{"auc": 0.9, "bad\\u001bname": 1}')
    result = run_cli("link", "1", f"dvclive:{odd}", db=db_path)
    assert result.returncode == 0 and "warning" in result.stderr and "bad␛name" in result.stderr


# --- a damaged board file -----------------------------------------------------------------------

def damage(path: Path, table: str) -> None:
    """Overwrite a leaf page of ``table`` with garbage."""
    conn = sqlite3.connect(path)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND "
                                        "pagetype = 'leaf' ORDER BY pageno", (table,))]
    conn.close()
    data = bytearray(path.read_bytes())
    at = (pages[len(pages) // 2] - 1) * size
    data[at:at + size] = b"\x00\x17" * (size // 2)
    path.write_bytes(data)


def test_export_of_a_damaged_file_saves_what_reads(db_path: Path, tmp_path: Path) -> None:
    store = open_store(db_path)
    ops.ensure_board(store, "main")
    for i in range(80):
        card = ops.add_card(store, "main", f"card {i} " + "x" * 150, author="ann")
        ops.add_log(store, card.id, f"entry for {i}", author="ann")
    store.close()
    damage(db_path, "card")
    assert "damaged" in one_line_error(run_cli("list", db=db_path))
    exported = run_cli("export", db=db_path)
    assert exported.returncode == 0, exported.stderr
    assert "saving what still reads" in exported.stderr and "card:" in exported.stderr
    data = json.loads(exported.stdout)
    cards, log = data["boards"][0]["cards"], data["boards"][0]["log"]
    assert 40 < len(cards) < 80 and len(log) == 2 * len(cards)  # added, and the entry
    rescue = tmp_path / "rescue.json"
    rescue.write_text(exported.stdout)
    imported = run_cli("import", str(rescue), db=tmp_path / "new.db")
    assert imported.returncode == 0, imported.stderr
    assert f"{len(cards)} cards" in imported.stdout
    assert run_cli("check", db=tmp_path / "new.db").returncode == 0


# --- boards apart, passwords, schema marks on a server ------------------------------------------

def test_a_card_command_with_board_keeps_to_that_board(db: Path | str) -> None:
    for board, title in (("vision", "v1"), ("vision", "v2"), ("nlp", "n1")):
        assert run_cli("--board", board, "add", title, db=db).returncode == 0
    refused = run_cli("--board", "nlp", "move", "2", "3", db=db)
    line = one_line_error(refused)
    assert "no card #2 on board 'nlp'" in line and "'vision'" in line
    store = open_store(db)
    try:
        assert q.get_card(store, 2).card.lane_slug == "todo"  # not moved
    finally:
        store.close()
    assert "no card #1 on board 'nlp'" in one_line_error(run_cli("--board", "nlp", "show", "1",
                                                                 db=db))
    assert run_cli("--board", "vision", "move", "2", "3", db=db).returncode == 0
    assert run_cli("move", "3", "2", db=db).returncode == 0  # no --board: the card's own
    if isinstance(db, str):  # a server's errors speak of a database, never of a file
        line = one_line_error(run_cli("--board", "nlp", "show", "1", db=db))
        assert "file" not in line


@pytest.mark.parametrize("password", ["pa/ss", "pa#ss", "pa?ss", "p@ss:w/d?#x", "s3cret"])
def test_no_password_is_printed_however_the_url_is_written(pg_server: Any,
                                                           password: str) -> None:
    host = pg_server.url(pg_server.new_database())
    parts = host.split("@", 1)[1]
    for url in (f"postgresql://tk:{password}@{parts}",
                f"postgresql://tk@{parts}?password={password}"):
        result = run_cli("list", db=url)
        said = result.stdout + result.stderr
        assert result.returncode != 0 or password == "s3cret"
        assert password not in said.replace("tk:s3cret", ""), said
        assert "Traceback" not in said
    broken = run_cli("list", db="postgresql://tk:x@[::1")
    assert "not a valid postgresql:// URL" in one_line_error(broken)


def test_schema_marks_on_a_server_are_one_line(pg_server: Any) -> None:
    url = pg_server.url(pg_server.new_database())
    assert run_cli("add", "x", db=url).returncode == 0
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = 'abc' WHERE key = 'schema'")
    assert "schema mark is not a number" in one_line_error(run_cli("list", db=url))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    line = one_line_error(run_cli("list", db=url))
    assert "written by a newer tkanban (board schema 99" in line and "this is" not in line


# --- editor and config --------------------------------------------------------------------------

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


async def test_text_refused_after_editing_stays_in_the_form(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tkanban.tui.forms.log import LogForm

    from .screen import screen_text
    from .test_tui import board, press, seed

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "kept \\033[31m red" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    (card_id,) = seed(store, "card")
    async with board(store, (80, 24)) as (app, pilot):
        await press(app, pilot, "a")
        await press(app, pilot, "ctrl+e")
        area = app.screen.query_one("#text")
        assert area.text == "kept \x1b[31m red"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, LogForm)  # refused: the form stays, with the text
        assert area.text == "kept \x1b[31m red"
        assert "U+001B" in screen_text(app)
    assert [e for e in q.get_card(store, card_id).entries if e.kind == "note"] == []


@pytest.mark.parametrize("command", ['vim "x', "/nonexistent/editor"])
async def test_a_bad_editor_in_the_board_is_a_notice(
        store: Store, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    from tkanban.tui.forms.log import LogForm

    from .screen import screen_text
    from .test_tui import board, press, seed

    monkeypatch.setenv("EDITOR", command)
    monkeypatch.delenv("VISUAL", raising=False)
    seed(store, "card")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "a")
        await pilot.press(*"typed")
        await press(app, pilot, "ctrl+e")
        assert isinstance(app.screen, LogForm)
        assert app.screen.query_one("#text").text == "typed"
        assert "EDITOR" in screen_text(app) or "cannot be started" in screen_text(app)


def test_text_refused_after_editing_on_the_command_line_is_kept(db_path: Path,
                                                                 tmp_path: Path) -> None:
    from .test_papercuts import _in_a_terminal

    run_cli("add", "x", db=db_path)
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "my notes \\033[31m here" > "$1"\n')
    editor.chmod(0o755)
    leader, follower = os.openpty()
    try:
        result = subprocess.run([*tkanban_exe(), "--db", str(db_path), "log", "1"],
                                stdin=follower, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "EDITOR": str(editor), "VISUAL": ""})
    finally:
        os.close(leader)
        os.close(follower)
    line = one_line_error(result)
    kept = Path(line.rsplit("your text is kept in ", 1)[1])
    assert kept.read_text() == "my notes \x1b[31m here"
    kept.unlink()
    assert _in_a_terminal(["log", "1"], db_path, 'vim "x') == 1


def _term(db: Path, width: int, height: int, *args: str, **env: str) -> Any:
    from .test_e2e import Terminal

    base = {"TERM": "xterm-256color", "TKANBAN_USER": "alice", "HOME": os.environ["HOME"],
            "PATH": os.environ["PATH"], "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
    return Terminal([*tkanban_exe(), "--db", str(db), *args], width, height, {**base, **env})


@pytest.mark.parametrize(("key", "size"), [("q", (120, 35)), ("C-c", (80, 24))])
def test_a_board_syncing_with_a_trickling_tracker_quits_at_once(
        db_path: Path, tracker: Scripted, key: str, size: tuple[int, int]) -> None:
    run_cli("add", "h", "--criteria", "auc >= 0.8", db=db_path)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    assert run_cli("link", "1", f"mlflow:{RUN_A}", "--tracking-uri", tracker.url,
                   db=db_path).returncode == 0
    tracker.on("/api/2.0/mlflow", trickling(1.0))
    tracker.seen.clear()
    term = _term(db_path, *size, "--tracking-uri", tracker.url)
    try:
        term.wait_for(lambda text: "#1 " in text)
        deadline = time.monotonic() + 10
        while not tracker.seen:  # the board's sync is waiting on the tracker now
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        assert "waiting for the board file" not in term.screen()  # it is not the file
        term.keys(key, pause=0)
        started = time.monotonic()
        while term.alive() and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert not term.alive()
        assert time.monotonic() - started < 2
    finally:
        term.close()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_a_hanging_editor_and_the_form_comes_back(
        db_path: Path, tmp_path: Path, presses: int) -> None:
    run_cli("add", "h", db=db_path)
    editor = tmp_path / "editor.sh"
    trap = 'trap "" INT\n' if presses == 2 else ""  # an editor that ignores one ctrl+c
    editor.write_text(f"#!/bin/sh\n{trap}sleep 600\n")
    editor.chmod(0o755)
    term = _term(db_path, 80, 24, EDITOR=str(editor), VISUAL="")
    try:
        term.wait_for(lambda text: "To do" in text)
        term.keys("n")
        term.wait_for(lambda text: "Title" in text)
        term.type("My unsaved title")
        term.keys("Tab", "Tab", "C-e", pause=0.5)
        term.wait_for(lambda text: "My unsaved title" not in text)  # the editor has the screen
        for _ in range(presses):
            term.keys("C-c", pause=0.3)
        text = term.wait_for(lambda text: "My unsaved title" in text, timeout=10)
        assert "was stopped" in text
        assert term.alive()
        term.keys("Escape", "q")
    finally:
        term.close()
