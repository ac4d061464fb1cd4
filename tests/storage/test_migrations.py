"""Boards written by every earlier schema, upgraded with their data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers.old_boards import make_v1_file
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.schema import SCHEMA_VERSION


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
