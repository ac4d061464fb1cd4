"""Several writers at once, and writers killed at random points: nothing lost, nothing
half-written, positions dense."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import fails, ok, run_cli, tkanban_exe
from tests.helpers.writers import WORKER, wait_until_writing
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.filecheck import has_hot_journal


def ops_entries(path: Path) -> list[tuple[int]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id FROM log_entry").fetchall()
    finally:
        conn.close()


HALF_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA cache_size = 1")  # changed pages go to the file before the commit
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE card SET title = title || ' (half written)', position = position + 7")
    conn.execute("DELETE FROM log_entry")
    print("ready", flush=True)
    time.sleep(60)
""")


def _big_export(tmp_path: Path) -> tuple[Path, int, int]:
    source = tmp_path / "source.db"
    run_cli("demo", db=source)
    data = json.loads(run_cli("export", db=source).stdout)
    board = data["boards"][0]
    todo = next(lane["id"] for lane in board["lanes"] if lane["slug"] == "todo")
    template = {**board["cards"][0], "lane_id": todo, "kind": "task", "outcome": None,
                "conclusion": "", "criteria": "", "clock_start": None, "clock_stop": None}
    entry = next(e for e in board["log"] if e["kind"] == "create")
    next_card = max(c["id"] for c in board["cards"]) + 1
    next_entry = max(e["id"] for e in board["log"]) + 1
    in_todo = sum(1 for c in board["cards"] if c["lane_id"] == todo and not c["archived"])
    for i in range(4000):
        board["cards"].append({**template, "id": next_card + i, "position": in_todo + i})
        for j in range(3):
            board["log"].append({**entry, "id": next_entry + 3 * i + j, "card_id": next_card + i,
                                 "text": f"@carol run {i}.{j}"})
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data))
    return path, len(board["cards"]), len(board["log"])


def _stopped_cleanly(status: int, sig: int, stderr: Path) -> None:
    """A SIGTERM or SIGHUP ends the command as an exit (128 + signal) saying so, without a
    traceback; only between two commands of the loop can the signal find no handler."""
    text = stderr.read_text()
    assert "Traceback" not in text and "Exception" not in text, text
    if sig != signal.SIGKILL and os.WIFEXITED(status) and os.WEXITSTATUS(status):
        assert os.WEXITSTATUS(status) == 128 + sig, text
        assert text.strip().splitlines()[-1].endswith(
            f"stopped by {signal.Signals(sig).name}; nothing was left half-written"), text


class ForkServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def kill_after(self, runs: list[list[str]], delay: float, sig: int, stderr: Path,
                   done: int = 0) -> int:
        """Start a child running ``runs``, send it ``sig`` ``delay`` seconds after it has
        finished ``done`` of them (so that a busy machine kills no sooner in the work); its
        wait status."""
        assert self.proc.stdin and self.proc.stdout
        progress = stderr.with_suffix(".progress")
        progress.write_bytes(b"")
        self.proc.stdin.write(json.dumps({"runs": runs, "stderr": str(stderr),
                                          "progress": str(progress)}) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        deadline = time.monotonic() + 60
        while progress.stat().st_size < done and time.monotonic() < deadline:
            time.sleep(0.005)  # waiting for the child's progress, not for the clock
        time.sleep(delay)
        try:
            os.kill(pid, sig)
        except ProcessLookupError:  # it finished first (the server has not reaped it yet)
            pass
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGKILL)


def assert_whole(db: Path | str) -> dict[str, int]:
    """The board is sound and every operation in it is whole; returns a few counts."""
    listed = run_cli("list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    cards = json.loads(listed.stdout)
    if isinstance(db, Path):
        assert not has_hot_journal(db), "the first command after the kill rolls the write back"
    store = open_store(db)
    try:
        assert store.integrity_problems() == []
        with store.reading() as sql:
            rows = sql.execute(
                "SELECT c.id, l.slug, c.log_count, c.archived, c.lane_id, c.position FROM card c "
                "JOIN lane l ON l.id = c.lane_id").fetchall()
            for card_id, slug, log_count, _archived, _lane, _pos in rows:
                entries = sql.execute("SELECT kind, data FROM log_entry WHERE card_id = ? "
                                      "ORDER BY id", (card_id,)).fetchall()
                assert log_count == len(entries), \
                    f"#{card_id}: the log count and the log disagree"
                assert entries and entries[0][0] == "create", f"#{card_id} has no creation entry"
                moves = [json.loads(data) for kind, data in entries if kind == "move"]
                first = json.loads(entries[0][1]).get("lane", "todo")
                assert (moves[-1]["to"] if moves else first) == slug, \
                    f"#{card_id} is in {slug}, but its log says otherwise: a move half applied"
            lanes: dict[int, list[int]] = {}
            for _id, _slug, _count, archived, lane_id, position in rows:
                if not archived:
                    lanes.setdefault(lane_id, []).append(position)
            for lane_id, positions in lanes.items():
                assert sorted(positions) == list(range(len(positions))), f"lane {lane_id}"
            counts = {
                "cards": len(rows),
                "entries": sql.execute("SELECT count(*) FROM log_entry").fetchone()[0],
            }
    finally:
        store.close()
    assert len(cards) == sum(1 for row in rows if not row[3])
    return counts


@pytest.fixture
def forks() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()


FORK_SERVER = textwrap.dedent("""
    import json, os, sys
    from tkanban import cli
    import tkanban.core.board.cards, tkanban.core.transfer.backup  # noqa: F401
    import psycopg, sqlalchemy.dialects.postgresql.psycopg  # noqa: F401  (the server's driver)

    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(err, 2)
            out = os.open(os.devnull, os.O_WRONLY)
            os.dup2(out, 1)
            status = 0
            progress = os.open(job["progress"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            for argv in job["runs"]:
                status = cli.main(argv)
                if status:
                    break
                os.write(progress, b".")  # one more command done
            os._exit(status)
        print(pid, flush=True)
        print(os.waitpid(pid, 0)[1], flush=True)
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
    writes a card, 60 each): nothing lost, nothing failed."""
    each = 15
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
        assert out.strip().splitlines()[-1] == "ok"
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
    script = "for i in 1 2 3; do {exe} --db {db} --user u$0 add \"u$0 card $i\" || exit 1; done"
    exe = " ".join(tkanban_exe())
    procs = [subprocess.Popen(["sh", "-c", script.format(exe=exe, db=f"'{db}'"), str(n)],
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
    assert len(check_consistent(db)) == 12


def test_writer_killed_again_and_again(db: Path | str) -> None:
    open_store(db).close()
    rng = random.Random(7)
    for round_ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(db), f"k{round_}",
                                 "1000"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        wait_until_writing(proc)  # then killed somewhere in its next writes
        time.sleep(rng.random() * 0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_consistent(db)
    assert len(check_consistent(db)) >= 8  # the writers really were writing


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
        [*tkanban_exe(), "--db", str(db_path),
         "add", "second"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    holder.execute("ROLLBACK")
    holder.close()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(json.loads(run_cli("list", "--json", db=db_path).stdout)) == 2


def test_moves_killed_at_random_points(db: Path | str, tmp_path: Path,
                                       forks: ForkServer) -> None:
    store = open_store(db)
    ops.ensure_board(store)
    for i in range(6):
        ops.add_card(store, "main", f"card {i}", author="ann", kind="task")
    store.close()
    where = ["--db", str(db)]
    rng = random.Random(11)
    runs = []
    for i in range(400):
        card = str(1 + i % 6)
        step = i % 4
        if step == 0:
            runs.append([*where, "move", card, str(1 + rng.randrange(6)),
                         "--position", str(1 + rng.randrange(3))])
        elif step == 1:
            runs.append([*where, "reorder", card, str(1 + rng.randrange(4))])
        elif step == 2:
            runs.append([*where, "log", card, f"@bob note {i}", "--metric", f"auc={i / 400}"])
        else:
            runs.append([*where, "move", card, str(1 + rng.randrange(6))])
    before = assert_whole(db)
    rounds = 30
    for round_ in range(rounds):
        sig = SIGNALS[round_ % 3]
        stderr = tmp_path / f"err{round_}.txt"
        # each round logs first (an entry, surely), then goes on from its own place in the
        # work, to be killed in a later command
        start = round_ * 7 % len(runs)
        mine = [[*where, "log", str(1 + round_ % 6), f"round {round_}"], *runs[start:]]
        status = forks.kill_after(mine, rng.random() * 0.1, sig, stderr,
                                  done=1 + rng.randrange(3))
        _stopped_cleanly(status, sig, stderr)
        after = assert_whole(db)
    assert after["entries"] >= before["entries"] + rounds, "the writers really were writing"


def test_imports_killed_at_random_points(new_db: Callable[[], Path | str], tmp_path: Path,
                                         forks: ForkServer) -> None:
    export, n_cards, n_entries = _big_export(tmp_path)
    db = new_db()
    store = open_store(db)
    ops.ensure_board(store)  # an empty board, so that 'list' has a board to list
    store.close()
    rng = random.Random(5)
    runs = [["--db", str(db), "import", str(export)]]
    outcomes = set()
    for round_ in range(12):
        sig = SIGNALS[round_ % 3]
        stderr = tmp_path / f"err{round_}.txt"
        status = forks.kill_after(runs, rng.random() * 1.2, sig, stderr)
        _stopped_cleanly(status, sig, stderr)
        counts = assert_whole(db)
        assert (counts["cards"], counts["entries"]) in ((0, 0), (n_cards, n_entries)), \
            f"an import half applied: {counts}"
        outcomes.add(counts["cards"])
        if counts["cards"]:  # it finished before the signal: start again from an empty board
            db = new_db()
            runs = [["--db", str(db), "import", str(export)]]
            store = open_store(db)
            ops.ensure_board(store)
            store.close()
    assert 0 in outcomes, "no import was ever interrupted: the kills came too late"


def test_the_board_file_heals_from_an_interrupted_write(db_path: Path) -> None:
    """The report's reproduction: a killed write left a hot journal, and every command then
    said the file was read-only. Now the next command rolls it back; and where the file really
    is read-only, the message says what happened and how to heal it. (The writer is killed
    where it has written changed pages into the file, which a random kill hits only now and
    then: the tests above kill tkanban's own writers at random.)"""
    store = open_store(db_path)
    ops.ensure_board(store)
    for i in range(300):
        ops.add_card(store, "main", f"card {i} " + "x" * 150, author="ann")
    store.close()
    before = json.loads(run_cli("list", "--json", db=db_path).stdout)
    proc = subprocess.Popen([sys.executable, "-c", HALF_WRITER, str(db_path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout and proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()
    journal = db_path.with_name(db_path.name + "-journal")
    assert has_hot_journal(db_path)
    saved_db, saved_journal = db_path.read_bytes(), journal.read_bytes()

    db_path.chmod(0o444)
    try:
        refused = run_cli("list", db=db_path)
    finally:
        db_path.chmod(0o644)
    assert refused.returncode == 1
    assert "interrupted write left its journal" in refused.stderr
    assert "write access" in refused.stderr
    assert db_path.read_bytes() == saved_db and journal.read_bytes() == saved_journal

    healed = run_cli("list", "--json", db=db_path)
    assert healed.returncode == 0, healed.stderr
    assert json.loads(healed.stdout) == before
    assert not has_hot_journal(db_path)
    assert run_cli("check", db=db_path).returncode == 0
    assert len(ops_entries(db_path)) == 300
    added = run_cli("add", "after the heal", db=db_path)
    assert added.returncode == 0, added.stderr


def test_backup_while_eight_writers_run(db_path: Path, tmp_path: Path) -> None:
    ok(run_cli("add", "before the writers", db=db_path))
    writers = [subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), f"w{n}", "12"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(8)]
    copies = []
    try:
        for proc in writers:  # every writer is writing
            wait_until_writing(proc)
        for i in range(4):
            copy = tmp_path / f"copy{i}.db"
            assert "integrity ok" in ok(run_cli("backup", str(copy), db=db_path))
            copies.append(copy)
    finally:
        for proc in writers:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
    sizes = []
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        cards, creates = conn.execute(
            "SELECT (SELECT count(*) FROM card), "
            "(SELECT count(*) FROM log_entry WHERE kind = 'create')").fetchone()
        assert cards == creates, "a copy holding half a change"
        sizes.append(cards)
        conn.close()
        assert ok(run_cli("list", "--json", db=copy))
    assert sizes == sorted(sizes) and sizes[-1] > 0
    fails(run_cli("backup", str(copies[0]), db=db_path), "already exists")
    fails(run_cli("backup", str(db_path), db=db_path), "cannot be the board file itself")
