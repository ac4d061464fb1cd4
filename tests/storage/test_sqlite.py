"""A board in a SQLite file: what is refused untouched, read-only files, WAL, damage,
backups before upgrades, the change counter."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from tests.helpers.cli import fails, ok, run_cli
from tests.helpers.damage import corrupt_lane_index
from tests.helpers.old_boards import make_v1_file
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import BoardFileError, ReadOnlyError
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.storage.schema import APPLICATION_ID, SCHEMA_VERSION


def _snapshot(path: Path) -> bytes:
    return path.read_bytes()


def test_new_file_is_marked_as_a_board(db_path: Path, store: Store) -> None:
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert [lane.slug for lane in q.get_lanes(store)] == [
        "todo", "test-hypothesis", "review-hypothesis", "update-model", "review-model", "done"]


def test_models_match_the_migrated_schema(db_path: Path, store: Store) -> None:
    conn = sqlite3.connect(db_path)
    for table in SQLModel.metadata.sorted_tables:
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table.name})")}
        assert columns == {c.name for c in table.columns}, table.name
    conn.close()


def test_newer_schema_is_refused_untouched(db_path: Path, store: Store) -> None:
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("UPDATE meta SET value = '9.1.0' WHERE key = 'requires'")
    conn.commit()
    conn.close()
    before = _snapshot(db_path)
    with pytest.raises(BoardFileError, match=r"needs tkanban >= 9\.1\.0"):
        open_store(db_path)
    assert _snapshot(db_path) == before


@pytest.mark.parametrize("content", [b"hello, this is a text file\n" * 10, b"SQLite format 3"])
def test_not_sqlite_is_refused_untouched(db_path: Path, content: bytes) -> None:
    db_path.write_bytes(content)
    with pytest.raises(BoardFileError, match="not a tkanban board"):
        open_store(db_path)
    assert db_path.read_bytes() == content


def test_other_applications_sqlite_is_refused(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE songs (title TEXT)")
    conn.commit()
    conn.close()
    before = _snapshot(db_path)
    with pytest.raises(BoardFileError, match="another application"):
        open_store(db_path)
    assert _snapshot(db_path) == before


def test_corrupt_file_is_refused_untouched(db_path: Path, store: Store) -> None:
    for i in range(30):
        ops.add_card(store, "main", f"card {i}", author="ann")
    store.close()
    data = bytearray(db_path.read_bytes())
    for offset in range(4096, len(data), 4096):  # garble every page header but the first
        data[offset:offset + 16] = b"\xff" * 16
    db_path.write_bytes(bytes(data))
    before = _snapshot(db_path)
    with pytest.raises(BoardFileError, match="damaged|not a tkanban"):
        store2 = open_store(db_path)
        q.list_cards(store2)
    assert _snapshot(db_path) == before


def test_truncated_file_is_refused(db_path: Path, store: Store) -> None:
    for i in range(30):
        ops.add_card(store, "main", f"card {i}", author="ann", description="x" * 500)
    store.close()
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    before = _snapshot(db_path)
    with pytest.raises(BoardFileError):
        open_store(db_path)
    assert _snapshot(db_path) == before


@pytest.mark.parametrize("target", ["file", "folder"])
def test_read_only_file_or_folder_reads_and_refuses_writes(db_path: Path, store: Store,
                                                            target: str) -> None:
    ops.add_card(store, "main", "kept", author="ann")
    store.close()
    locked, mode = (db_path, 0o444) if target == "file" else (db_path.parent, 0o555)
    original = locked.stat().st_mode
    locked.chmod(mode)
    try:
        ro = open_store(db_path)
        assert ro.readonly
        assert [c.title for c in q.list_cards(ro)] == ["kept"]
        with pytest.raises(ReadOnlyError):
            ops.add_card(ro, "main", "new", author="ann")
        ro.close()
    finally:
        locked.chmod(original)


def test_read_only_flag_refuses_writes(db_path: Path, store: Store) -> None:
    ops.add_card(store, "main", "kept", author="ann")
    store.close()
    before = _snapshot(db_path)
    ro = open_store(db_path, readonly=True)
    assert [c.title for c in q.list_cards(ro)] == ["kept"]
    with pytest.raises(ReadOnlyError):
        ops.add_card(ro, "main", "new", author="ann")
    ro.close()
    assert _snapshot(db_path) == before


def test_wal_file_is_switched_back(db_path: Path, store: Store) -> None:
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_data_version_sees_other_connections(db_path: Path, store: Store) -> None:
    first = store.data_version()
    assert store.data_version() == first
    other = open_store(db_path)
    ops.add_card(other, "main", "from elsewhere", author="bob")
    other.close()
    assert store.data_version() != first


def test_check_finds_a_damaged_index(db_path: Path) -> None:
    for title in ("one", "two", "three"):
        ok(run_cli("add", title, db=db_path))
    assert "passes" in ok(run_cli("check", db=db_path))
    corrupt_lane_index(db_path)
    ok(run_cli("list", db=db_path))  # the quick check on opening does not see it
    message = fails(run_cli("check", db=db_path), "damaged")
    assert "ix_card_lane" in message and "tkanban backup" in message


def test_a_copy_is_kept_before_a_schema_upgrade(db_path: Path) -> None:

    make_v1_file(db_path)
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
