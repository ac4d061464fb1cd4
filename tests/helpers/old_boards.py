"""Board files as earlier versions of tkanban wrote them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tkanban.core.storage.schema import APPLICATION_ID, BASE_VERSION, LATER, MIGRATIONS


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
        "(7, 'ann', 1001, 'note', '@bob look at this', '{\"metrics\":{\"auc\":0.8}}')")
    conn.close()


ERAS = {
    1: ["INSERT INTO board (id, name, created_at) VALUES (1, 'main', 1000)",
        *(f"INSERT INTO lane (id, board_id, name, slug, position) VALUES "
          f"({i + 1}, 1, '{name}', '{slug}', {i})"
          for i, (name, slug) in enumerate([
              ("To do", "todo"), ("Test hypothesis", "test-hypothesis"),
              ("Code review hypothesis", "review-hypothesis"), ("Update model", "update-model"),
              ("Code review update model", "review-model"), ("Done", "done")])),
        "INSERT INTO card (id, board_id, lane_id, kind, title, criteria, author, position, "
        "timebox_seconds, clock_start, created_at, updated_at) VALUES (1, 1, 2, 'hypothesis', "
        "'We believe BERT reaches auc >= 0.8', 'auc >= 0.8', 'ann', 0, 86400, 1100, 1000, "
        "1100)",
        "INSERT INTO log_entry (id, card_id, author, at, kind, text, data) VALUES (1, 1, 'ann', "
        "1001, 'note', '@bob look at this', '{\"metrics\":{\"auc\":0.8}}')"],
    2: ["INSERT INTO log_entry (id, card_id, author, at, kind, text, data, metrics) VALUES "
        "(2, 1, 'bob', 1002, 'note', 'thanks @ann', '{}', '{\"f1\":0.6}')",
        "INSERT INTO mention (entry_id, \"user\") VALUES (2, 'ann')",
        "INSERT INTO phase (id, board_id, name, goal, timebox_seconds, started_at, author) "
        "VALUES (1, 1, 'PoC', 'continue if AUC > 0.80', 604800, 1000, 'po')"],
    3: ["INSERT INTO card (id, board_id, lane_id, kind, title, author, position, created_at, "
        "updated_at, log_count, changed_seq) VALUES (2, 1, 1, 'task', 'Collect labels', 'bob', "
        "0, 1003, 1003, 0, 1)"],
    4: ["UPDATE card SET labels = 'data gpu', blocked = 'waiting for GPUs' WHERE id = 2"],
    5: ["INSERT INTO relation (from_id, kind, to_id, author, at) VALUES (2, 'blocks', 1, "
        "'bob', 1004)"],
    6: ["INSERT INTO event (board_id, type, at, actor, card_id, data) VALUES (1, "
        "'card.added', 1003, 'bob', 2, '{}')",
        "INSERT INTO delivery (board_id, name, event_id, updated_at) VALUES (1, 'watch', 1, "
        "1005)"],
    7: ["INSERT INTO run_link (card_id, ref, author, at, name, status, url, seen, synced_at) "
        "VALUES (1, 'mlflow:abc123', 'ann', 1006, 'bert', 'FINISHED', '', '{\"auc\":0.81}', "
        "1007)"],
}
"""What each schema added, written as a board of that time would hold it (the rows a later
schema's columns would have get their defaults by the migration)."""


def build_at(sql: Any, schema: int, words: dict[str, str], start: int = 0) -> None:
    """Bring ``sql`` (a connection with ``execute`` and ``?`` placeholders) from schema
    ``start`` to ``schema`` the way tkanban did, writing each era's rows on the way."""
    for version in range(start + 1, schema + 1):
        if version <= BASE_VERSION:
            MIGRATIONS[version - 1](sql)
        else:
            for statement in LATER[version - BASE_VERSION - 1].substitute(words).split(";"):
                if statement.strip():
                    sql.execute(statement)
        for statement in ERAS.get(version, []):
            sql.execute(statement if version > 1 else statement.replace('"user"', "user"))
