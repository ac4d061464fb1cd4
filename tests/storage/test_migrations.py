"""Boards written by every earlier schema, upgraded with their data: a file at each of
schemas 1 to now, and a server database at each of its schemas (a server starts at the base
schema), each opened by this tkanban, compared with a new board, read, written and exported."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.old_boards import build_at, make_v1_file
from tkanban import __version__
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.storage.schema import APPLICATION_ID, BASE, BASE_VERSION, SCHEMA_VERSION
from tkanban.core.storage.schema import SQLITE_WORDS as WORDS
from tkanban.core.transfer.backup import dump, export_json, import_json


def test_migrates_a_schema_1_file_with_its_data(db_path: Path) -> None:
    make_v1_file(db_path)
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


def schema_of(path: Path) -> dict[str, Any]:
    """Every table's columns (name, type, not null, default, key) and every index, in a form
    that does not depend on the order columns were added in."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {
            "tables": {t: sorted((name, kind, notnull, _same(default), key) for _, name, kind,
                                 notnull, default, key in conn.execute(f"PRAGMA table_info({t})"))
                       for t in tables},
            "indexes": sorted(r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'")),
        }
    finally:
        conn.close()


def _same(default: str | None) -> str | None:
    """A default as SQLite reads it: ``FALSE`` (today's words) is schema 1's ``0``."""
    return {"FALSE": "0", "TRUE": "1"}.get(default or "", default)


def old_file(path: Path, schema: int) -> None:
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    build_at(conn, schema, WORDS)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {schema}")
    conn.close()


def check_upgraded(store: Store, schema: int, tmp_path: Path) -> None:
    """The board of schema ``schema``, read and written by this tkanban, its data intact."""
    first = q.get_card(store, 1)
    assert first.card.title == "We believe BERT reaches auc >= 0.8"
    assert first.card.timebox_seconds == 86400 and first.card.clock_start == 1100
    assert first.entries[0].metrics == {"auc": 0.8} and first.entries[0].data == {}
    assert first.card.log_count == len(first.entries)
    assert [m.card_id for m in q.mentions_of(store, "bob")] == [1]
    if schema >= 2:
        assert [m.entry.text for m in q.mentions_of(store, "ann")] == ["thanks @ann"]
        assert [p.name for p in q.list_phases(store)] == ["PoC"]
    if schema >= 3:
        second = q.get_card(store, 2).card
        assert second.title == "Collect labels" and second.lane_slug == "todo"
        assert (second.labels, second.blocked) == ((("data", "gpu"), "waiting for GPUs")
                                                   if schema >= 4 else ((), None))
        assert second.waiting_on == () and ((2 in first.card.waiting_on) is (schema >= 5))
    ops.add_log(store, 1, "after the upgrade @carl", author="ann", metrics={"f1": 0.7})
    ops.move_card(store, 1, "review-hypothesis", author="ann")
    assert q.get_card(store, 1).entries[-1].kind == "move"
    exported = dump(export_json(store))
    again = open_store(tmp_path / f"again-{schema}.db")
    try:
        import_json(again, json.loads(exported))
        assert dump(export_json(again)) == exported  # nothing of the old board is unusual
    finally:
        again.close()


@pytest.mark.parametrize("schema", range(1, SCHEMA_VERSION))
def test_a_file_of_every_earlier_schema_is_upgraded_whole(tmp_path: Path, schema: int) -> None:
    path = tmp_path / "old.db"
    old_file(path, schema)
    new = tmp_path / "new.db"
    open_store(new).close()
    store = open_store(path)
    try:
        assert store.upgrade_backup is not None and store.upgrade_backup.exists()
        assert schema_of(path) == schema_of(new)  # the same schema as a board made today
        check_upgraded(store, schema, tmp_path)
    finally:
        store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


@pytest.mark.parametrize("schema", range(BASE_VERSION, SCHEMA_VERSION))
def test_a_server_database_of_every_earlier_schema_is_upgraded_whole(
        pg_server: Any, tmp_path: Path, schema: int) -> None:
    import psycopg

    from tkanban.core.storage.postgres import PG_WORDS

    name = pg_server.new_database()
    url = pg_server.url(name)
    with psycopg.connect(url, autocommit=True) as conn:
        class Sql:  # the ``?`` placeholders the eras are written with
            @staticmethod
            def execute(statement: str, params: tuple[Any, ...] = ()) -> None:
                conn.execute(statement.replace("?", "%s"), params)

        for statement in BASE.substitute(PG_WORDS).split(";"):
            if statement.strip():
                conn.execute(statement)
        build_at(Sql, BASE_VERSION, PG_WORDS, start=BASE_VERSION)  # no step: the base is made
        for statement in _base_rows():
            Sql.execute(statement)
        build_at(Sql, schema, PG_WORDS, start=BASE_VERSION)
        conn.execute("INSERT INTO meta (key, value) VALUES ('application', 'tkanban'), "
                     "('schema', %s), ('requires', %s)", (str(schema), __version__))
        for table in ("board", "lane", "card", "log_entry", "phase"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"GREATEST((SELECT max(id) FROM {table}), 1))")
    store = open_store(url)
    try:
        check_upgraded(store, schema, tmp_path)
    finally:
        store.close()
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    assert row is not None and row[0] == str(SCHEMA_VERSION)


def _base_rows() -> list[str]:
    """The eras up to the base schema, as a server board of that schema holds them (a server
    board began at the base: its metrics were always in their own column, its mentions
    always indexed)."""
    from tests.helpers.old_boards import ERAS

    rows = [s for era in range(1, BASE_VERSION + 1) for s in ERAS[era]]
    rows = [r.replace("'@bob look at this', '{\"metrics\":{\"auc\":0.8}}')",
                      "'@bob look at this', '{}')") for r in rows]
    return [*rows, "UPDATE log_entry SET metrics = '{\"auc\":0.8}' WHERE id = 1",
            "INSERT INTO mention (entry_id, \"user\") VALUES (1, 'bob')",
            "UPDATE card SET log_count = (SELECT count(*) FROM log_entry "
            "WHERE log_entry.card_id = card.id)"]
