"""The edges a hostile new user found: drives that cannot lock, damage that spreads, imports
that let in what crashes the board later, exports that can be written into, ghost boards,
FIFOs, bidi controls, and the wording for a newer file."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import ReadOnlyError
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.storage.mounts import detect
from tkanban.core.storage.schema import SCHEMA_VERSION

from .conftest import run_cli
from .screen import screen_lines, screen_text
from .test_hostile import WORKER
from .test_tui import board, press, settle


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(result: subprocess.CompletedProcess[str], text: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr, result.stderr
    return result.stderr


# --- drives that cannot lock --------------------------------------------------------------------


def _pretend_mount(monkeypatch: pytest.MonkeyPatch, folder: Path, fstype: str) -> None:
    import tkanban.core.storage.sqlite as store_module

    table = (f"22 1 259:2 / / rw - ext4 /dev/sda1 rw\n"
             f"50 22 0:50 / {folder} rw,nosuid - {fstype} ann@gpu:/data rw,user_id=0\n")
    monkeypatch.setattr(store_module, "detect",
                        lambda path, override="auto": detect(path, table, override))


def test_sshfs_opens_read_only_and_says_why(db_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(db_path)
    ops.ensure_board(store)
    ops.add_card(store, "main", "kept", author="ann")
    store.close()
    _pretend_mount(monkeypatch, db_path.parent, "fuse.sshfs")
    shared = open_store(db_path)
    assert shared.readonly and shared.storage.label == "network (fuse.sshfs)"
    assert [c.title for c in q.list_cards(shared)] == ["kept"]
    with pytest.raises(ReadOnlyError, match="fuse.sshfs.*on this machine only.*--storage local"):
        ops.add_card(shared, "main", "new", author="ann")
    shared.close()
    one_machine = open_store(db_path, storage="local")
    ops.add_card(one_machine, "main", "new", author="ann")
    one_machine.close()


def test_a_syncthing_folder_is_read_only_unless_told(tmp_path: Path) -> None:
    synced = tmp_path / "Sync"
    (synced / "ml").mkdir(parents=True)
    db = synced / "ml" / "board.db"
    ok(run_cli("add", "made before syncing", db=db))
    (synced / ".stfolder").mkdir()
    refused = fails(run_cli("add", "x", db=db), "Syncthing")
    assert "read-only" in refused and "--storage local" in refused
    assert "made before syncing" in ok(run_cli("list", db=db))
    ok(run_cli("add", "one machine writes", "--storage", "local", db=db))
    fails(run_cli("add", "x", db=synced / "new.db"), "cannot create a board there")
    assert not (synced / "new.db").exists()


@pytest.mark.parametrize("marker", [".dropbox", ".sync_4a1b2c3d.db", "OneDrive - Lab"])
def test_other_sync_tools(tmp_path: Path, marker: str) -> None:
    folder = tmp_path / "team"
    if marker.startswith("OneDrive"):
        folder = tmp_path / marker
        folder.mkdir()
    else:
        folder.mkdir()
        (folder / marker).write_text("")
    info = detect(folder / "board.db", "")
    assert info.no_lock_reason and "copies files instead of locking" in info.no_lock_reason
    assert info.label.startswith("synced folder")
    assert detect(folder / "board.db", "", override="local").no_lock_reason is None


# --- damage found, not spread -------------------------------------------------------------------


def corrupt_lane_index(path: Path) -> None:
    """Change card rows behind the back of the index ``ix_card_lane``: what an sshfs mount did,
    and what the quick check on opening does not see."""
    conn = sqlite3.connect(path, isolation_level=None)
    sql, root = conn.execute(
        "SELECT sql, rootpage FROM sqlite_master WHERE name = 'ix_card_lane'").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("DELETE FROM sqlite_master WHERE name = 'ix_card_lane'")
    conn.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE card SET position = position + 50 WHERE id = 1")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("INSERT INTO sqlite_master VALUES ('index', 'ix_card_lane', 'card', ?, ?)",
                 (root, sql))
    conn.close()


def test_check_finds_a_damaged_index(db_path: Path) -> None:
    for title in ("one", "two", "three"):
        ok(run_cli("add", title, db=db_path))
    assert "passes" in ok(run_cli("check", db=db_path))
    corrupt_lane_index(db_path)
    ok(run_cli("list", db=db_path))  # the quick check on opening does not see it
    message = fails(run_cli("check", db=db_path), "damaged")
    assert "ix_card_lane" in message and "tkanban backup" in message


async def test_the_open_board_turns_read_only_on_damage(db_path: Path, store: Store) -> None:
    for title in ("one", "two"):
        ops.add_card(store, "main", title, author="ann")
    store.close()
    corrupt_lane_index(db_path)
    before = db_path.read_bytes()
    damaged = open_store(db_path)
    async with board(damaged, (120, 35)) as (app, pilot):
        for _ in range(50):
            if "damaged" in screen_lines(app)[-1]:
                break
            await pilot.pause(0.1)
        assert "read-only: damaged" in screen_lines(app)[-1]
        assert "The board file is damaged" in screen_text(app)
        await press(app, pilot, "L")
        await press(app, pilot, "n")
        assert "damaged" in screen_text(app)
    damaged.close()
    assert db_path.read_bytes() == before


def test_backup_while_eight_writers_run(db_path: Path, tmp_path: Path) -> None:
    ok(run_cli("add", "before the writers", db=db_path))
    writers = [subprocess.Popen([sys.executable, "-c", WORKER, str(db_path), f"w{n}", "12"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for n in range(8)]
    copies = []
    try:
        time.sleep(1.0)
        for i in range(4):
            copy = tmp_path / f"copy{i}.db"
            assert "integrity ok" in ok(run_cli("backup", str(copy), db=db_path))
            copies.append(copy)
            time.sleep(0.3)
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


def test_a_copy_is_kept_before_a_schema_upgrade(db_path: Path) -> None:
    from .test_store import _make_v1_file

    _make_v1_file(db_path)
    before = list(sqlite3.connect(db_path).iterdump())
    result = run_cli("list", db=db_path)
    assert result.returncode == 0 and "old card" in result.stdout
    assert "upgraded" in result.stderr
    (copy,) = db_path.parent.glob("board.db.schema1-*.bak")
    assert str(copy) in result.stderr
    assert list(sqlite3.connect(copy).iterdump()) == before
    assert sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == 1
    second = run_cli("list", db=db_path)
    assert "upgraded" not in second.stderr
    assert len(list(db_path.parent.glob("*.bak"))) == 1


# --- import validates before it writes ----------------------------------------------------------


def _export(db_path: Path, tmp_path: Path) -> dict:
    ok(run_cli("demo", db=db_path))
    return json.loads(ok(run_cli("export", db=db_path)))


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


# --- exports are safe to read -------------------------------------------------------------------

HOSTILE = ("ok\n## Done\n### #99 fake card\n<script>alert(1)</script>\n- [click](http://x)\n"
           "1. one\n===\n> quoted \u202eevil")


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


# --- read commands never write, odd files -------------------------------------------------------


@pytest.mark.parametrize("command", [["list"], ["show", "1"], ["export"], ["retro"],
                                     ["mentions"], ["phase", "list"], ["lane", "list"],
                                     ["move", "1", "2"], ["check"]])
def test_reading_a_missing_or_empty_file_creates_nothing(tmp_path: Path,
                                                         command: list[str]) -> None:
    missing = tmp_path / "typo.db"
    fails(run_cli(*command, db=missing), "there is no board at")
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    fails(run_cli(*command, db=empty), "the file is empty")
    assert empty.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "home"]


def test_the_default_file_is_made_on_first_use_only(isolated_home: Path) -> None:
    default = isolated_home / "data" / "tkanban" / "tkanban.db"
    fails(run_cli("list"), "there is no board at")
    assert not default.parent.exists()
    ok(run_cli("add", "first"))
    assert default.exists() and "first" in ok(run_cli("list"))


def test_a_missing_board_in_a_file_is_named(db_path: Path) -> None:
    ok(run_cli("add", "x", db=db_path))
    fails(run_cli("--board", "tpyo", "list", db=db_path),
          "no board named 'tpyo' here (boards here: main")


def test_fifo_socket_and_device_are_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "board.fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "board.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    try:
        for path, kind in ((fifo, "a FIFO"), (sock_path, "a socket"),
                           (Path("/dev/null"), "a device")):
            for command in (["list"], ["add", "x"]):
                started = time.monotonic()
                fails(run_cli(*command, db=path), f"not a regular file ({kind})")
                assert time.monotonic() - started < 10
    finally:
        server.close()


def test_a_newer_schema_without_a_version_note(db_path: Path) -> None:
    ok(run_cli("add", "x", db=db_path))
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM meta WHERE key = 'requires'")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    fails(run_cli("list", db=db_path),
          f"written by a newer tkanban (board schema 999; this tkanban reads up to "
          f"{SCHEMA_VERSION})")


def test_bidi_controls_are_shown_not_obeyed(db_path: Path) -> None:
    ok(run_cli("add", "invoice \u202egpj.exe", db=db_path))
    listed = ok(run_cli("list", db=db_path))
    assert "\u202e" not in listed and "invoice ⟨RLO⟩gpj.exe" in listed
    assert "⟨RLO⟩" in ok(run_cli("show", "1", db=db_path))


async def test_bidi_controls_on_the_board(db_path: Path, store: Store) -> None:
    ops.add_card(store, "main", "left \u2067right\u2069 \u202dx", author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        text = screen_text(app)
        assert "⟨RLI⟩" in text and "\u2067" not in app.export_screenshot()
        await press(app, pilot, "enter")
        assert "left ⟨RLI⟩right⟨PDI⟩ ⟨LRO⟩x" in screen_text(app)
        await settle(app, pilot)


# --- the board under SIGTERM and SIGHUP (a real terminal) ---------------------------------------


def _board_pid(db_path: Path) -> int:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")[:-1]
            comm = (proc / "comm").read_text()
        except OSError:
            continue
        if argv[-2:] == [b"--db", str(db_path).encode()] and not comm.startswith(("tmux", "sh")):
            found.append(int(proc.name))
    assert len(found) == 1, found
    return found[0]


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _terminal_env() -> dict[str, str]:
    return {"TERM": "xterm-256color", "TKANBAN_USER": "alice", "HOME": os.environ["HOME"],
            "PATH": os.environ["PATH"], "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}


@pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux")
@pytest.mark.parametrize("sig", ["TERM", "HUP"])
def test_the_board_stops_cleanly_with_a_write_in_flight(db_path: Path, sig: str) -> None:
    from .conftest import tkanban_exe
    from .test_e2e import Terminal

    ok(run_cli("add", "moving", db=db_path))
    command = " ".join([*tkanban_exe(), "--db", str(db_path)])
    term = Terminal(["sh", "-c", f"{command}; echo exit=$?; sleep 60"] if sig == "TERM"
                    else [*tkanban_exe(), "--db", str(db_path)], 120, 35, _terminal_env())
    try:
        term.wait_for(lambda s: "moving" in s and "alice" in s)
        pid = _board_pid(db_path)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # the move is drawn at once; its write must wait
        term.keys("L", pause=0.6)
        if sig == "TERM":
            os.kill(pid, 15)
        else:
            term.close()  # the terminal goes away: the board gets SIGHUP, as over a dropped SSH
        time.sleep(0.5)
        holder.execute("ROLLBACK")
        holder.close()
        if sig == "TERM":
            screen = term.wait_for(lambda s: "exit=" in s)
            assert "exit=143" in screen
            assert "moving" not in screen and "To do" not in screen, "the terminal is restored"
        assert _gone(pid), (Path(f"/proc/{pid}/cmdline").read_bytes(),
                            [(t.name, (t / "wchan").read_text(), (t / "comm").read_text())
                             for t in Path(f"/proc/{pid}/task").iterdir()])
    finally:
        term.close()
    listed = json.loads(ok(run_cli("list", "--json", db=db_path)))
    assert [(c["title"], c["lane"]) for c in listed] == [("moving", "Test hypothesis")]
    assert not db_path.with_name(db_path.name + "-journal").exists()
    assert "passes" in ok(run_cli("check", db=db_path))


def test_the_board_says_it_created_a_file(tmp_path: Path) -> None:
    from .conftest import tkanban_exe
    from .test_e2e import Terminal

    new = tmp_path / "new.db"
    term = Terminal([*tkanban_exe(), "--db", str(new)], 120, 35, _terminal_env())
    try:
        term.wait_for(lambda s: "created a new board file" in s)
        term.keys("q")
    finally:
        term.close()
    assert new.exists()
