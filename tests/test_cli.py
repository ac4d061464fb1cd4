"""The command-line contract of SPEC.md, run through the installed ``tkanban`` command."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tkanban.core.storage.schema import SCHEMA_VERSION

from .conftest import run_cli

LISTED_FIELDS = {"id", "title", "kind", "lane", "position", "outcome", "timebox_seconds",
                 "deadline", "author", "version"}


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(result: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


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

    fails(run_cli("move", card_id, "done", db=db), 1, "needs an outcome")
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
    assert shown["criteria_status"] == [
        {"criterion": "precision >= 0.95", "value": 0.91, "met": False, "source": None}]
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
    fails(run_cli("import", str(backup), db=restored), 1, "new board file")
    markdown = ok(run_cli("export", "--format", "markdown", db=db))
    assert "## Done" in markdown and "invalidated" in markdown


def test_env_vars_and_default_path(db_path: Path, isolated_home: Path) -> None:
    ok(run_cli("add", "in the default file"))
    default = isolated_home / "data" / "tkanban" / "tkanban.db"
    assert default.exists()
    ok(run_cli("add", "in TKANBAN_DB", env={"TKANBAN_DB": str(db_path), "TKANBAN_USER": "zed"}))
    listed = json.loads(ok(run_cli("list", "--json", env={"TKANBAN_DB": str(db_path)})))
    assert [(c["title"], c["author"]) for c in listed] == [("in TKANBAN_DB", "zed")]
    ok(run_cli("--board", "research", "add", "other board", "--db", str(db_path)))
    assert len(json.loads(ok(run_cli("list", "--json", "--board", "research", db=db_path)))) == 1
    assert len(json.loads(ok(run_cli("list", "--json", db=db_path)))) == 1


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
    fails(run_cli(*args, db=db), code, text)


@pytest.mark.parametrize("content", [b"just some text\n" * 20, b"\x00" * 50 + b"garbage" * 100])
def test_bad_files_exit_1_untouched(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    for args in (["list"], ["add", "x"]):
        fails(run_cli(*args, db=db_path), 1, "not a tkanban board")
    assert db_path.read_bytes() == content


def test_newer_and_corrupt_files(db_path: Path) -> None:
    ok(run_cli("add", "x", "--description", "d" * 9000, db=db_path))
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    # the file's version note names this very version: the schema number is what is newer
    fails(run_cli("list", db=db_path), 1,
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
    fails(run_cli("list", db=db_path), 1, "damaged")
    assert db_path.read_bytes() == bytes(data)


def test_read_only_file_lists_and_refuses_add(db_path: Path) -> None:
    ok(run_cli("add", "kept", db=db_path))
    db_path.chmod(0o444)
    try:
        assert "kept" in ok(run_cli("list", db=db_path))
        fails(run_cli("add", "new", db=db_path), 1, "read-only")
    finally:
        db_path.chmod(0o644)


def test_help_and_version() -> None:
    assert "move" in ok(run_cli("--help")) and "--db" in ok(run_cli("add", "--help"))
    assert ok(run_cli("--version")).startswith("tkanban ")


def test_cli_does_not_import_textual(db_path: Path) -> None:
    code = ("import sys; from tkanban.cli import main; main(['--db', sys.argv[1], 'list']); "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                            text=True)
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_core_does_not_import_textual() -> None:
    core = Path(__file__).parent.parent / "src" / "tkanban" / "core"
    for path in core.glob("*.py"):
        assert "textual" not in path.read_text(), path


def test_python_dash_m(db_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "tkanban", "--db", str(db_path), "add", "m"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "1"
