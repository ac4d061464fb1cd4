"""The command line on cards: the scripting contract of SPEC.md, errors in one line, bad
files, the editor, --board, JSON output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.cli import (
    fails,
    fails_with,
    in_a_terminal,
    ok,
    one_line_error,
    run_cli,
    tkanban_exe,
)
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.schema import SCHEMA_VERSION

LISTED_FIELDS = {"id", "title", "kind", "lane", "position", "outcome", "timebox_seconds",
                 "deadline", "author", "version"}


def test_the_whole_contract(db: Path | str, new_db: Callable[[], Path | str],
                            tmp_path: Path) -> None:
    card_id = ok(run_cli("add", "We believe BERT reaches precision >= 0.95", "--kind",
                         "hypothesis", "--criteria", "precision >= 0.95", "--timebox", "1w",
                         db=db, user="ann")).strip()
    assert card_id == "1"
    listed = json.loads(ok(run_cli("list", "--json", db=db)))
    assert len(listed) == 1 and LISTED_FIELDS <= listed[0].keys()
    card = listed[0]
    assert (card["title"], card["kind"], card["lane"], card["position"], card["outcome"],
            card["timebox_seconds"], card["deadline"], card["author"], card["version"]) == (
        "We believe BERT reaches precision >= 0.95", "hypothesis", "To do", 0, None, 604800,
        None, "ann", 1)

    ok(run_cli("move", card_id, "2", db=db))
    assert json.loads(ok(run_cli("list", "--json", db=db)))[0]["lane"] == "Test hypothesis"
    assert json.loads(ok(run_cli("list", "--json", db=db)))[0]["deadline"] is not None
    ok(run_cli("move", card_id, "review-hypothesis", db=db))
    ok(run_cli("move", card_id, "test HYPOTHESIS", db=db))
    assert json.loads(ok(run_cli("list", "--json", "--lane", "2", db=db)))[0]["id"] == 1

    fails_with(run_cli("move", card_id, "done", db=db), 1, "needs an outcome")
    assert json.loads(ok(run_cli("list", "--json", db=db)))[0]["lane"] == "Test hypothesis"

    ok(run_cli("log", card_id, "@bob precision stalls", "--metric", "precision=0.91",
               db=db, user="ann"))
    ok(run_cli("move", card_id, "Done", "--outcome", "invalidated", "--note",
               "no gain over baseline", db=db))
    shown = json.loads(ok(run_cli("show", card_id, "--json", db=db)))
    assert (shown["lane"], shown["outcome"], shown["conclusion"]) == (
        "Done", "invalidated", "no gain over baseline")
    note = [e for e in shown["log"] if e["kind"] == "note"][0]
    assert note["metrics"] == {"precision": 0.91} and note["mentions"] == ["bob"]
    assert [e["kind"] for e in shown["log"]] == [
        "create", "move", "move", "move", "note", "outcome", "move"]
    (entry,) = [e for e in shown["log"] if e["kind"] == "note"]
    assert shown["criteria_status"] == [
        {"criterion": "precision >= 0.95", "value": 0.91, "met": False,
         "source": f"logged by ann (entry {entry['id']})", "run": None, "step": None}]
    text = ok(run_cli("show", card_id, db=db))
    assert "invalidated: no gain over baseline" in text and "precision=0.91" in text

    mentions = json.loads(ok(run_cli("mentions", "--json", db=db, user="bob")))
    assert [m["card_id"] for m in mentions] == [1]
    assert json.loads(ok(run_cli("mentions", "--json", db=db, user="dave"))) == []

    exported = ok(run_cli("export", db=db))
    backup = tmp_path / "backup.json"
    backup.write_text(exported)
    restored = new_db()
    ok(run_cli("import", str(backup), db=restored))
    assert ok(run_cli("export", db=restored)) == exported
    fails_with(run_cli("import", str(backup), db=restored), 1, "new board file")
    markdown = ok(run_cli("export", "--format", "markdown", db=db))
    assert "## Done" in markdown and "invalidated" in markdown


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["add", "x", "--timebox", "5x"], 1, "bad time box '5x'"),
        (["add", "x", "--criteria", "auc >>= banana"], 1, "bad criterion"),
        (["add", "  "], 1, "title must not be empty"),
        (["add", "bell\x07"], 1, "control character"),
        (["move", "1", "9"], 1, "no lane '9'"),
        (["move", "42", "2"], 1, "no card #42"),
        (["show", "abc"], 2, "not a card number: 'abc'"),
        (["frobnicate"], 2, "invalid choice"),
        (["log", "1", "x", "--metric", "auc=high"], 1, "bad metric"),
        (["--user", "bad name!", "add", "x"], 1, "user name may hold only"),
        (["import", "/nonexistent.json"], 1, "cannot read"),
    ],
)
def test_errors_are_one_line(db: Path | str, args: list[str], code: int, text: str) -> None:
    run_cli("add", "first", db=db)
    fails_with(run_cli(*args, db=db), code, text)


@pytest.mark.parametrize("content", [b"just some text\n" * 20, b"\x00" * 50 + b"garbage" * 100])
def test_bad_files_exit_1_untouched(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    for args in (["list"], ["add", "x"]):
        fails_with(run_cli(*args, db=db_path), 1, "not a tkanban board")
    assert db_path.read_bytes() == content


def test_newer_and_corrupt_files(db_path: Path) -> None:
    ok(run_cli("add", "x", "--description", "d" * 9000, db=db_path))
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    # the file's version note names this very version: the schema number is what is newer
    fails_with(run_cli("list", db=db_path), 1,
          f"written by a newer tkanban (board schema 42; this tkanban reads up to "
          f"{SCHEMA_VERSION})")
    assert db_path.read_bytes() == before
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    data = bytearray(db_path.read_bytes())
    data[4096 * 2: 4096 * 2 + 64] = b"\xab" * 64
    db_path.write_bytes(bytes(data))
    fails_with(run_cli("list", db=db_path), 1, "damaged")
    assert db_path.read_bytes() == bytes(data)


def test_read_only_file_lists_and_refuses_add(db_path: Path) -> None:
    ok(run_cli("add", "kept", db=db_path))
    db_path.chmod(0o444)
    try:
        assert "kept" in ok(run_cli("list", db=db_path))
        fails_with(run_cli("add", "new", db=db_path), 1, "read-only")
    finally:
        db_path.chmod(0o644)


@pytest.mark.parametrize("args", [
    ["show", "99999999999999999999"], ["relate", "1", "blocks", "99999999999999999999"],
    ["unrelate", "1", "99999999999999999999"], ["events", "--since", "99999999999999999999"],
    ["move", "1", "2", "--position", "99999999999999999999"], ["sync", "0"],
    ["watch", "--exec", "true", "--timeout", "-1"], ["serve", "--port", "70000"],
])
def test_numbers_out_of_range_are_refused_in_one_line(db_path: Path, args: list[str]) -> None:
    run_cli("add", "x", db=db_path)
    result = run_cli(*args, db=db_path)
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("tkanban") and "error: " in last, result.stderr  # one line says why


def test_on_the_command_line_and_through_export(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                ) -> None:
    card = ok(run_cli("add", "Label the claims", "--label", "data", "--label", "gpu,ops",
                      db=db, user="ann")).strip()
    ok(run_cli("add", "other", db=db))
    assert "blocked: waiting for the client" in ok(
        run_cli("block", card, "--reason", "waiting for the client", db=db))
    listed = json.loads(ok(run_cli("list", "--json", "--filter", "blocked label:gpu", db=db)))
    assert [(c["id"], c["labels"], c["blocked"]) for c in listed] == [
        (int(card), ["data", "gpu", "ops"], "waiting for the client")]
    assert "labels: data, gpu, ops" in ok(run_cli("list", db=db))
    shown = ok(run_cli("show", card, db=db))
    assert "blocked:  waiting for the client" in shown and "labels:   data, gpu, ops" in shown
    usage = run_cli("block", card, db=db)
    assert usage.returncode == 2 and "--reason" in usage.stderr
    exported = ok(run_cli("export", db=db))
    (tmp_path / "b.json").write_text(exported)
    copy = new_db()
    ok(run_cli("import", str(tmp_path / "b.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    ok(run_cli("unblock", card, db=db))
    ok(run_cli("edit", card, "--label", "", db=db))
    assert json.loads(ok(run_cli("show", card, "--json", db=db)))["labels"] == []
    bad = run_cli("add", "x", "--label", "Bad Label!", db=db)
    assert bad.returncode == 1 and "bad label" in bad.stderr


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


def test_text_refused_after_editing_on_the_command_line_is_kept(db_path: Path,
                                                                 tmp_path: Path) -> None:
    from tests.helpers.cli import in_a_terminal

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
    assert in_a_terminal(["log", "1"], db_path, 'vim "x') == 1


def test_log_reads_standard_input_and_the_editor(db_path: Path, tmp_path: Path) -> None:
    import json

    run_cli("add", "long text", db=db_path)
    assert run_cli("log", "1", db=db_path, input="piped\nsecond line\n").returncode == 0
    assert run_cli("log", "1", "-", db=db_path, input="dashed").returncode == 0
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor" > "$1"\n')
    editor.chmod(0o755)
    assert in_a_terminal(["log", "1"], db_path, str(editor)) == 0
    failing = tmp_path / "failing.sh"
    failing.write_text('#!/bin/sh\nprintf "half" > "$1"\nexit 1\n')
    failing.chmod(0o755)
    assert in_a_terminal(["log", "1"], db_path, str(failing)) == 1
    emptying = tmp_path / "emptying.sh"
    emptying.write_text('#!/bin/sh\n: > "$1"\n')
    emptying.chmod(0o755)
    assert in_a_terminal(["log", "1"], db_path, str(emptying)) == 1
    assert in_a_terminal(["edit", "1", "--description"], db_path, str(editor)) == 0
    shown = json.loads(run_cli("show", "1", "--json", db=db_path).stdout)
    notes = [e["text"] for e in shown["log"] if e["kind"] == "note"]
    assert notes == ["piped\nsecond line", "dashed", "written in the editor"]
    assert shown["description"] == "written in the editor"


def test_restore_from_the_command_line(db_path: Path) -> None:
    run_cli("add", "first", db=db_path)
    run_cli("add", "second", db=db_path)
    run_cli("move", "1", "2", db=db_path)
    run_cli("archive", "1", db=db_path)
    listed = run_cli("list", "--archived", db=db_path).stdout
    assert "first" in listed and "(archived)" in listed
    assert "first" not in run_cli("list", db=db_path).stdout
    result = run_cli("restore", "1", db=db_path)
    assert result.returncode == 0 and "restored to Test hypothesis, position 1" in result.stdout
    assert "first" in run_cli("list", "--lane", "2", db=db_path).stdout
    again = run_cli("restore", "1", db=db_path)
    assert again.returncode == 1 and "not archived" in again.stderr


def test_json_output_escapes_what_a_terminal_obeys(db_path: Path) -> None:
    ok(run_cli("add", "plain", db=db_path))
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE card SET title = ?", ("a\u202eb\x9bc\x7f",))
    conn.commit()
    conn.close()
    for command in (["list", "--json"], ["show", "1", "--json"], ["export"]):
        out = ok(run_cli(*command, db=db_path))
        assert "\u202e" not in out and "\x9b" not in out and "\x7f" not in out
        assert "\\u202e" in out
        found = json.loads(out)
        title = (found[0] if isinstance(found, list) else found.get("title")
                 or found["boards"][0]["cards"][0])
        assert "a\u202eb\x9bc\x7f" in json.dumps(title, ensure_ascii=False)


def test_a_missing_board_in_a_file_is_named(db_path: Path) -> None:
    ok(run_cli("add", "x", db=db_path))
    fails(run_cli("--board", "tpyo", "list", db=db_path),
          "no board named 'tpyo' here (boards here: main")


def test_bidi_controls_are_shown_not_obeyed(db_path: Path) -> None:
    ok(run_cli("add", "invoice \u202egpj.exe", db=db_path))
    listed = ok(run_cli("list", db=db_path))
    assert "\u202e" not in listed and "invoice ⟨RLO⟩gpj.exe" in listed
    assert "⟨RLO⟩" in ok(run_cli("show", "1", db=db_path))


def test_show_says_what_the_pane_says_of_a_finished_box(db: Path | str) -> None:
    ok(run_cli("add", "quick", "--timebox", "1d", "--lane", "2", db=db, user="ann"))
    ok(run_cli("close", "1", db=db, user="ann"))
    shown = ok(run_cli("show", "1", db=db))
    (line,) = [line for line in shown.splitlines() if "time box:" in line]
    assert "finished, " in line and "spare" in line and "left" not in line


def test_move_says_where_the_board_shows_the_card(db: Path | str) -> None:
    for title in ("one", "two", "three"):
        ok(run_cli("add", title, db=db, user="ann"))
    for card in ("1", "2"):
        ok(run_cli("move", card, "done", db=db))
    said = ok(run_cli("move", "3", "done", db=db)).strip()
    assert said == "#3 is in Done, position 1 (Done shows its latest cards first)"
    assert ok(run_cli("move", "1", "todo", db=db)).strip() == "#1 is in To do, position 1"


def test_a_move_over_a_wip_limit_is_warned_of_and_stands(db: Path | str) -> None:
    for title in ("one", "two"):
        ok(run_cli("add", title, db=db, user="ann"))
    ok(run_cli("lane", "limit", "test-hypothesis", "1", db=db))
    first = run_cli("move", "1", "2", db=db)
    assert first.returncode == 0 and "WIP" not in first.stderr
    second = run_cli("move", "2", "2", db=db)
    assert second.returncode == 0 and second.stderr.strip() == (
        "tkanban: warning: Test hypothesis is over its WIP limit (2/1)")
    assert "#2 is in Test hypothesis" in second.stdout
