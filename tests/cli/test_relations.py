"""``relate`` and ``unrelate`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import ok, run_cli


def test_on_the_command_line(db: Path | str) -> None:
    for title in ("Collect labels", "Train", "Baseline"):
        ok(run_cli("add", title, db=db, user="ann"))
    assert ok(run_cli("relate", "2", "blocked", "by", "1", db=db)).strip() == "#2 blocked by #1"
    assert ok(run_cli("relate", "2", "follows", "#3", db=db)).strip() == "#2 follows #3"
    assert ok(run_cli("relate", "1", "blocks", "2", db=db)).strip() == "#1 already blocks #2"
    loop = run_cli("relate", "2", "blocks", "1", db=db)
    assert loop.returncode == 1 and loop.stderr == (
        "tkanban: error: #2 blocks #1 would close a loop (#1 blocks #2): no card can wait on "
        "itself\n")
    for bad, says in ((("2", "1"), "say how #2 relates to #1"),
                      (("2", "blocks", "x"), "the last word must be the other card's id"),
                      (("2", "eats", "1"), "no relation 'eats'")):
        result = run_cli("relate", *bad, db=db)
        assert result.returncode == 1 and says in result.stderr and "Traceback" not in \
            result.stderr
    shown = ok(run_cli("show", "2", db=db))
    assert "grew out of: #3 (To do) → #2" in shown
    assert "blocked by:   #1 Collect labels (To do)" in shown
    assert "waiting on: #1 (not in Done)" in shown
    data = json.loads(ok(run_cli("show", "2", "--json", db=db)))
    assert data["waiting_on"] == [1]
    assert [(r["relation"], r["card"], r["title"]) for r in data["related"]] == [
        ("blocked-by", 1, "Collect labels"), ("follows", 3, "Baseline")]
    assert [r["card"] for r in data["grew_out_of"]] == [3]
    waiting = json.loads(ok(run_cli("list", "--json", "--filter", "waiting", db=db)))
    assert [c["id"] for c in waiting] == [2]
    moved = run_cli("move", "2", "2", db=db)
    assert moved.returncode == 0 and moved.stdout.startswith("#2 is in Test hypothesis")
    assert moved.stderr == "tkanban: warning: #2 waits on #1, not in Done yet (moved anyway)\n"
    assert run_cli("move", "2", "todo", db=db).stderr == ""  # back to To do: nothing to say
    assert ok(run_cli("unrelate", "2", "1", db=db)).strip() == "#2 and #1: 1 relation removed"
    missing = run_cli("unrelate", "2", "1", db=db)
    assert missing.returncode == 1 and "#2 and #1 are not related" in missing.stderr
    assert "relate 3 blocks 5" in ok(run_cli("relate", "--help"))
