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

from tkanban.core import board as ops
from tkanban.core.store import Store

from .conftest import run_cli

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from tkanban.core import board as ops
    from tkanban.core.store import Store

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = Store.open(path)
    ops.ensure_board(store, "main")
    for i in range(count):
        card = ops.add_card(store, "main", f"{name}-{i}", author=name)
        ops.add_log(store, card.id, f"@{name} note {i}", author=name, metrics={"step": i})
        ops.move_card(store, card.id, 1 + (i % 6), author=name, position=i % 3)
        ops.reorder_card(store, card.id, 0, author=name)
    print("ok")
""")


def check_consistent(path: Path) -> list[ops.CardInfo]:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    orphans = conn.execute(
        "SELECT count(*) FROM card c WHERE NOT EXISTS "
        "(SELECT 1 FROM log_entry e WHERE e.card_id = c.id AND e.kind = 'create')").fetchone()[0]
    assert orphans == 0, "a card without its creation entry: half a card was written"
    conn.close()
    store = Store.open(path)
    try:
        cards = ops.list_cards(store)
    finally:
        store.close()
    by_lane: dict[str, list[int]] = {}
    for card in cards:
        by_lane.setdefault(card.lane_slug, []).append(card.position)
    for slug, found in by_lane.items():
        assert sorted(found) == list(range(len(found))), f"positions in {slug}: {sorted(found)}"
    return cards


def test_eight_processes_on_one_file(db_path: Path) -> None:
    Store.open(db_path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), f"w{n}", "15"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(8)
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        assert out.strip() == "ok"
    cards = check_consistent(db_path)
    assert len(cards) == 120
    assert len({c.id for c in cards}) == 120
    assert sorted(c.title for c in cards) == sorted(f"w{n}-{i}" for n in range(8)
                                                    for i in range(15))
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM log_entry WHERE kind = 'note'").fetchone()[0] == 120


def test_cli_processes_in_parallel(db_path: Path) -> None:
    run_cli("list", db=db_path)
    script = "for i in 1 2 3 4 5; do {exe} --db {db} --user u$0 add \"u$0 card $i\" || exit 1; done"
    exe = " ".join(__import__("tests.conftest", fromlist=["x"]).tkanban_exe())
    procs = [subprocess.Popen(["sh", "-c", script.format(exe=exe, db=db_path), str(n)],
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
    assert len(check_consistent(db_path)) == 20


def test_writer_killed_again_and_again(db_path: Path) -> None:
    Store.open(db_path).close()
    rng = random.Random(7)
    for round_ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), f"k{round_}",
                                 "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.6 + rng.random() * 0.8)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_consistent(db_path)
    assert len(check_consistent(db_path)) >= 12  # the writers really were writing


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
