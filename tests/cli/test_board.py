"""The command line on the board as a whole: phases, mentions, WIP limits, the retro."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli


def test_retro_html_on_the_command_line(db_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from tests.helpers.cli import run_cli

    run_cli("add", "x", db=db_path)
    result = run_cli("retro", "--format", "html", db=db_path)
    assert result.returncode == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert "No card closed in" in result.stdout  # an empty month says so
    code = ("import sys; sys.modules['matplotlib'] = None; from tkanban.cli import main; "
            "sys.exit(main(['--db', sys.argv[1], 'retro', '--format', 'html']))")
    missing = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                             text=True)
    assert missing.returncode == 1 and missing.stdout == ""
    assert "pip install 'tkanban[report]'" in missing.stderr


def test_phases_on_the_command_line(db: Path | str) -> None:
    result = run_cli("phase", "start", "PoC", "--timebox", "1w", "--goal",
                     "continue if AUC > 0.80", db=db)
    assert result.returncode == 0 and "PoC" in result.stdout
    again = run_cli("phase", "start", "Other", "--timebox", "1d", db=db)
    assert again.returncode == 1 and "still running" in again.stderr
    assert "running" in run_cli("phase", "list", db=db).stdout
    bad = run_cli("phase", "start", "X", "--timebox", "5x", db=db)
    assert bad.returncode == 1
    ended = run_cli("phase", "end", "--decision", "go", "--note", "AUC 0.83", db=db,
                    user="po")
    assert ended.returncode == 0, ended.stderr
    listed = run_cli("phase", "list", db=db).stdout
    assert "go" in listed and "AUC 0.83" in listed and "po" in listed
    data = json.loads(run_cli("phase", "list", "--json", db=db).stdout)
    assert [(p["name"], p["decision"], p["decided_by"]) for p in data] == [("PoC", "go", "po")]
    none = run_cli("phase", "end", "--decision", "stop", db=db)
    assert none.returncode == 1 and "no phase is running" in none.stderr
    usage = run_cli("phase", "end", "--decision", "maybe", db=db)
    assert usage.returncode == 2


def test_mentions_on_the_command_line(db: Path | str) -> None:
    card = run_cli("add", "review me", db=db).stdout.strip()
    run_cli("log", card, "@bob can you review?", db=db, user="alice")
    run_cli("log", card, "bobby said hi, mail bob@example.com", db=db, user="alice")
    bob = json.loads(run_cli("mentions", "--json", db=db,
                             env={"TKANBAN_USER": "bob"}).stdout)
    assert [(m["card_id"], m["text"], m["card_title"]) for m in bob] == [
        (int(card), "@bob can you review?", "review me")]
    assert json.loads(run_cli("mentions", "--json", db=db,
                              env={"TKANBAN_USER": "dave"}).stdout) == []


def test_lane_limit_on_the_command_line(db: Path | str) -> None:
    assert run_cli("lane", "limit", "test-hypothesis", "2", db=db).returncode == 0
    listed = run_cli("lane", "list", db=db).stdout
    assert "0/2" in listed
    assert run_cli("lane", "limit", "9", "2", db=db).returncode == 1
    assert run_cli("lane", "limit", "2", "0", db=db).returncode == 0
    assert "0/2" not in run_cli("lane", "list", db=db).stdout


def test_retro_from_the_command_line(db: Path | str) -> None:
    ids = [run_cli("add", f"We believe {n}", "--kind", "hypothesis", db=db).stdout.strip()
           for n in ("one", "two", "three")]
    for card_id, outcome in zip(ids, ["validated", "validated", "invalidated"], strict=True):
        run_cli("move", card_id, "2", db=db)
        result = run_cli("move", card_id, "done", "--outcome", outcome, "--note",
                         f"learned {card_id}", db=db)
        assert result.returncode == 0, result.stderr
    data = json.loads(run_cli("retro", "--format", "json", db=db).stdout)
    assert data["hypotheses"]["validated"] == 2 and data["hypotheses"]["invalidated"] == 1
    text = run_cli("retro", db=db).stdout
    for card_id in ids:
        assert f"learned {card_id}" in text
    assert "cycle time" in text
    bad = run_cli("retro", "--month", "13/2026", db=db)
    assert bad.returncode == 1 and "bad month" in bad.stderr
