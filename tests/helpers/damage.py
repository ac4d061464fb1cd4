"""Damaging a board file on purpose."""

from __future__ import annotations

import sqlite3
from pathlib import Path


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
