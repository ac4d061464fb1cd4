"""Export and import: lossless round trips, bad exports refused naming the record,
Markdown that holds no structure from user text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.helpers.cli import fails, ok, run_cli
from tkanban.core.storage import open_store

HOSTILE = ("ok\n## Done\n### #99 fake card\n<script>alert(1)</script>\n- [click](http://x)\n"
           "1. one\n===\n> quoted \u202eevil")


BAD = {
    "position": (lambda b: b["cards"][3].update(position="top"),
                 "boards[0].cards[3].position: not an integer"),
    "metrics": (lambda b: b["log"][2].update(metrics="not json"),
                "boards[0].log[2].metrics: not JSON"),
    "missing card": (lambda b: b["log"][4].update(card_id=999),
                     "boards[0].log[4].card_id: no card #999 in this board"),
    "escape": (lambda b: b["cards"][0].update(title="\x1b]0;pwned\x07\x1b[2J"),
               "boards[0].cards[0].title: text must not contain the control character U+001B"),
    "far future": (lambda b: b["cards"][1].update(created_at=1e300),
                   "boards[0].cards[1].created_at: must be at most"),
    "lane": (lambda b: b["cards"][1].update(lane_id=77),
             "boards[0].cards[1].lane_id: no lane 77 in this board"),
    "kind": (lambda b: b["cards"][1].update(kind="epic"),
             "boards[0].cards[1].kind: not one of 'hypothesis' or 'task'"),
    "criteria": (lambda b: b["cards"][1].update(criteria="auc >>> 1"),
                 "boards[0].cards[1].criteria: bad criterion"),
    "metric value": (lambda b: b["log"][1].update(metrics='{"auc": "high"}'),
                     "boards[0].log[1].metrics: metric 'auc' is not a finite number"),
    "duplicate id": (lambda b: b["cards"][2].update(id=b["cards"][1]["id"]),
                     "boards[0].cards[2].id:"),
    "no lanes": (lambda b: b.update(lanes=[]), "boards[0].lanes: a board needs its lanes"),
    "archived": (lambda b: b["cards"][1].update(archived="yes"),
                 "boards[0].cards[1].archived: not true or false"),
    "missing title": (lambda b: b["cards"][5].pop("title"),
                      "boards[0].cards[5].title: missing"),
    "author": (lambda b: b["log"][0].update(author="eve [red]"),
               "boards[0].log[0].author:"),
}


def _export(db_path: Path, tmp_path: Path) -> dict:
    ok(run_cli("demo", db=db_path))
    return json.loads(ok(run_cli("export", db=db_path)))


def test_export_import_keeps_relations(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                       ) -> None:
    for title in ("a", "b", "c"):
        ok(run_cli("add", title, db=db, user="ann"))
    ok(run_cli("relate", "1", "blocks", "2", db=db))
    ok(run_cli("relate", "3", "follows", "1", db=db))
    ok(run_cli("relate", "3", "duplicates", "2", db=db))
    exported = ok(run_cli("export", db=db))
    board = json.loads(exported)["boards"][0]
    assert [(r["from_id"], r["kind"], r["to_id"]) for r in board["relations"]] == [
        (1, "blocks", 2), (3, "duplicates", 2), (3, "follows", 1)]
    (tmp_path / "b.json").write_text(exported)
    copy = new_db()
    assert "3 relations" in ok(run_cli("import", str(tmp_path / "b.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    assert json.loads(ok(run_cli("show", "2", "--json", db=copy)))["waiting_on"] == [1]
    markdown = ok(run_cli("export", "--format", "markdown", db=copy))
    assert "- blocked by: #1 a" in markdown


@pytest.mark.parametrize("relations, says", [
    ([(1, "blocks", 2), (2, "blocks", 1)], "boards[0].relations: #1 blocks itself through #2"),
    ([(1, "follows", 1)], "boards[0].relations[0]: card #1 related to itself"),
    ([(1, "blocks", 7)], "boards[0].relations[0].to_id: no card #7 in this board"),
    ([(1, "relates", 2), (2, "relates", 1)], "boards[0].relations[1]: this relation appears "
     "twice"),
    ([(1, "duplicates", 2), (2, "duplicates", 1)], "two cards that duplicate each other"),
    ([(1, "causes", 2)], "boards[0].relations[0].kind: not one of"),
])
def test_bad_relations_in_an_import_are_refused(db_path: Path, tmp_path: Path,
                                                relations: list[tuple[int, str, int]],
                                                says: str) -> None:
    ok(run_cli("add", "a", db=db_path))
    ok(run_cli("add", "b", db=db_path))
    data = json.loads(ok(run_cli("export", db=db_path)))
    data["boards"][0]["relations"] = [{"from_id": f, "kind": k, "to_id": t, "author": "ann",
                                       "at": 1.0} for f, k, t in relations]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    target = tmp_path / "new.db"
    result = run_cli("import", str(tmp_path / "bad.json"), db=target)
    assert result.returncode == 1 and says in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_export_import_keeps_the_runs(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                      ) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"auc": 0.83}))
    ok(run_cli("add", "h", "--criteria", "auc > 0.8", db=db, user="ann"))
    ok(run_cli("link", "1", f"dvclive:{metrics}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    exported = ok(run_cli("export", db=db))
    (runs,) = [board["runs"] for board in json.loads(exported)["boards"]]
    kept = "dvclive:metrics.json" if isinstance(db, Path) else f"dvclive:{metrics}"
    assert [(r["card_id"], r["ref"], json.loads(r["seen"])) for r in runs] == [
        (1, kept, {"auc": 0.83})]  # a file's board keeps paths relative to its folder
    (tmp_path / "e.json").write_text(exported)
    copy = new_db()
    ok(run_cli("import", str(tmp_path / "e.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    assert "0 new entries" in ok(run_cli("sync", db=copy))  # it remembers what it saw


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_export_is_refused_naming_the_record(db_path: Path, tmp_path: Path,
                                                   case: str) -> None:
    data = _export(tmp_path / "source.db", tmp_path)
    change, expected = BAD[case]
    change(data["boards"][0])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    fails(run_cli("import", str(bad), db=db_path), expected)
    assert not db_path.exists(), "a refused import leaves no file behind"
    open_store(db_path).close()
    before = db_path.read_bytes()
    fails(run_cli("import", str(bad), db=db_path), expected)
    assert db_path.read_bytes() == before


def test_a_good_export_round_trips_and_lists(db_path: Path, tmp_path: Path) -> None:
    data = _export(tmp_path / "source.db", tmp_path)
    source = tmp_path / "export.json"
    source.write_text(json.dumps(data))
    ok(run_cli("import", str(source), db=db_path))
    assert json.loads(ok(run_cli("export", db=db_path))) == data
    for command in (["list"], ["show", "1"], ["export", "--format", "markdown"], ["retro"]):
        ok(run_cli(*command, db=db_path))


def test_import_beside_another_board_keeps_ids_apart(db_path: Path, tmp_path: Path) -> None:
    data = _export(tmp_path / "source.db", tmp_path)
    source = tmp_path / "export.json"
    source.write_text(json.dumps(data))
    ok(run_cli("--board", "other", "lane", "limit", "todo", "2", db=db_path))
    before = db_path.read_bytes()
    fails(run_cli("import", str(source), db=db_path),
          "boards[0].lanes[0].id: 1 is taken by another board in this file")
    assert db_path.read_bytes() == before


def test_markdown_export_holds_no_structure_from_user_text(db_path: Path) -> None:
    card = ok(run_cli("add", "<b>title</b> # [x](y)", "--description", HOSTILE,
                      db=db_path)).strip()
    ok(run_cli("log", card, HOSTILE, db=db_path))
    ok(run_cli("edit", card, "--assignee", "bob", db=db_path))
    conn = sqlite3.connect(db_path)  # what another tool could have written
    conn.execute("UPDATE log_entry SET text = text || ' \x1b]0;pwned\x07\x1b[2J\x9b' "
                 "WHERE kind = 'note'")
    conn.commit()
    conn.close()
    report = ok(run_cli("export", "--format", "markdown", db=db_path))
    headings = [line for line in report.splitlines() if line.lstrip().startswith("#")]
    assert headings == ["# Board main", "## To do", f"### #{card} &lt;b&gt;title&lt;/b&gt; # "
                        "\\[x\\](y)"]
    assert "<" not in report and ">" not in report
    assert "\x1b" not in report and "\x9b" not in report and "\u202e" not in report
    assert "␛\\]0;pwned␇" in report and "⟨RLO⟩" in report
    for line in report.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("- ", "1.", "=", ">")):
            assert line.startswith("- ") or line.startswith("  \\"), line
