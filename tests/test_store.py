"""The board file: creation, migrations, refusals, read-only files, change detection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import BoardFileError, ReadOnlyError
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.storage.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION


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


def _make_v1_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    MIGRATIONS[0](conn)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO board (id, name, created_at) VALUES (1, 'main', 1000)")
    for i, slug in enumerate(["todo", "test-hypothesis", "review-hypothesis", "update-model",
                              "review-model", "done"]):
        conn.execute("INSERT INTO lane (board_id, name, slug, position) VALUES (1, ?, ?, ?)",
                     (slug.title(), slug, i))
    conn.execute(
        "INSERT INTO card (id, board_id, lane_id, kind, title, author, position, created_at, "
        "updated_at) VALUES (7, 1, 2, 'hypothesis', 'old card', 'ann', 0, 1000, 1000)")
    conn.execute(
        "INSERT INTO log_entry (card_id, author, at, kind, text, data) VALUES "
        "(7, 'ann', 1001, 'note', '@bob look at this', '{\"metrics\": {\"auc\": 0.8}}')")
    conn.close()


def test_migrates_a_schema_1_file_with_its_data(db_path: Path) -> None:
    _make_v1_file(db_path)
    store = open_store(db_path)
    try:
        detail = q.get_card(store, 7)
        assert detail.card.title == "old card" and detail.card.lane_slug == "test-hypothesis"
        assert detail.entries[0].metrics == {"auc": 0.8}
        assert detail.entries[0].data == {}
        assert [m.card_id for m in q.mentions_of(store, "bob")] == [7]
        ops.add_log(store, 7, "after the upgrade", author="ann", metrics={"f1": 0.5})
    finally:
        store.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def _snapshot(path: Path) -> bytes:
    return path.read_bytes()


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
