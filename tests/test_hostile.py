"""Hostile conditions: many processes on one file, writers killed mid-write, locked files."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store

from .conftest import run_cli

WORKER = textwrap.dedent("""
    import sys
    from tkanban.core.board import cards as ops
    from tkanban.core.board import reads as q
    from tkanban.core.storage import open_store

    where, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(where)
    ops.ensure_board(store, "main")
    for i in range(count):
        card = ops.add_card(store, "main", f"{name}-{i}", author=name)
        ops.add_log(store, card.id, f"@{name} note {i}", author=name, metrics={"step": i})
        ops.move_card(store, card.id, 1 + (i % 6), author=name, position=i % 3)
        ops.reorder_card(store, card.id, 0, author=name)
    print("ok")
""")


def check_consistent(db: Path | str) -> list[ops.CardInfo]:
    """The board is sound: no half-written card, every lane's positions dense."""
    store = open_store(db)
    try:
        assert store.integrity_problems() == []
        with store.reading() as sql:
            orphans = sql.execute(
                "SELECT count(*) FROM card c WHERE NOT EXISTS (SELECT 1 FROM log_entry e "
                "WHERE e.card_id = c.id AND e.kind = 'create')").fetchone()[0]
        assert orphans == 0, "a card without its creation entry: half a card was written"
        cards = q.list_cards(store)
    finally:
        store.close()
    by_lane: dict[str, list[int]] = {}
    for card in cards:
        by_lane.setdefault(card.lane_slug, []).append(card.position)
    for slug, found in by_lane.items():
        assert sorted(found) == list(range(len(found))), f"positions in {slug}: {sorted(found)}"
    return cards


def test_eight_processes_on_one_board(db: Path | str, engine: str) -> None:
    """Eight writers at once, each adding cards and logging, moving and reordering them (four
    writes a card: 60 each on a file, 100 each on a server): nothing lost, nothing failed."""
    each = 15 if engine == "sqlite" else 25
    open_store(db).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"w{n}", str(each)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(8)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        assert out.strip() == "ok"
    cards = check_consistent(db)
    assert len(cards) == 8 * each
    assert len({c.id for c in cards}) == 8 * each
    assert sorted(c.title for c in cards) == sorted(f"w{n}-{i}" for n in range(8)
                                                    for i in range(each))
    store = open_store(db)
    with store.reading() as sql:
        notes = sql.execute("SELECT count(*) FROM log_entry WHERE kind = 'note'").fetchone()[0]
    store.close()
    assert notes == 8 * each


def test_cli_processes_in_parallel(db: Path | str) -> None:
    run_cli("list", db=db)
    script = "for i in 1 2 3 4 5; do {exe} --db {db} --user u$0 add \"u$0 card $i\" || exit 1; done"
    exe = " ".join(__import__("tests.conftest", fromlist=["x"]).tkanban_exe())
    procs = [subprocess.Popen(["sh", "-c", script.format(exe=exe, db=f"'{db}'"), str(n)],
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
    assert len(check_consistent(db)) == 20


def test_writer_killed_again_and_again(db: Path | str) -> None:
    open_store(db).close()
    rng = random.Random(7)
    for round_ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"k{round_}",
                                 "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.6 + rng.random() * 0.8)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_consistent(db)
    assert len(check_consistent(db)) >= 12  # the writers really were writing


def test_locked_file_waits_then_says_so(db_path: Path) -> None:
    run_cli("add", "first", db=db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        result = run_cli("add", "second", db=db_path)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked by another process" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert waited >= 4
    listed = json.loads(run_cli("list", "--json", db=db_path).stdout)
    assert [c["title"] for c in listed] == ["first"]


def test_lock_released_in_time_lets_the_write_through(db_path: Path) -> None:
    run_cli("add", "first", db=db_path)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    proc = subprocess.Popen(
        [*__import__("tests.conftest", fromlist=["x"]).tkanban_exe(), "--db", str(db_path),
         "add", "second"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    holder.execute("ROLLBACK")
    holder.close()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(json.loads(run_cli("list", "--json", db=db_path).stdout)) == 2


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
