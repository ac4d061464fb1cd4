"""Board files as earlier versions of tkanban wrote them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tkanban.core.storage.schema import APPLICATION_ID, MIGRATIONS


def make_v1_file(path: Path) -> None:
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
