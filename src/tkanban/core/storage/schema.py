"""The board's schema: the SQL of the current version, for either engine, and the migrations
that brought older board files up to it.

A new database (a new file, or an empty database on a server) gets ``CURRENT`` whole. A file
says it is a tkanban board by its SQLite ``application_id`` and which schema it holds by its
``user_version``; migration ``i`` takes a file from schema ``i`` to ``i + 1``. On a server the
same facts live in the ``meta`` table (``application``, ``schema``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from string import Template
from typing import Any

from tkanban import __version__
from tkanban.core.errors import BoardFileError
from tkanban.core.model.text import find_mentions

APPLICATION_ID = 0x746B616E  # "tkan"
SQLITE_HEADER = b"SQLite format 3\x00"

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE board (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
CREATE TABLE lane (
    id INTEGER PRIMARY KEY,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    name TEXT NOT NULL, slug TEXT NOT NULL, position INTEGER NOT NULL, wip_limit INTEGER,
    UNIQUE (board_id, slug));
CREATE TABLE card (
    id INTEGER PRIMARY KEY,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    lane_id INTEGER NOT NULL REFERENCES lane(id),
    kind TEXT NOT NULL CHECK (kind IN ('hypothesis', 'task')),
    title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', criteria TEXT NOT NULL DEFAULT '',
    outcome TEXT CHECK (outcome IN ('validated', 'invalidated', 'inconclusive')),
    conclusion TEXT NOT NULL DEFAULT '',
    timebox_seconds INTEGER, clock_start REAL, clock_stop REAL,
    author TEXT NOT NULL, assignee TEXT,
    position INTEGER NOT NULL, archived BOOLEAN NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, version INTEGER NOT NULL DEFAULT 1);
CREATE INDEX ix_card_lane ON card (lane_id, archived, position);
CREATE INDEX ix_card_board ON card (board_id, archived);
CREATE TABLE log_entry (
    id INTEGER PRIMARY KEY,
    card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    author TEXT NOT NULL, at REAL NOT NULL, kind TEXT NOT NULL DEFAULT 'note',
    text TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '{}');
CREATE INDEX ix_log_card ON log_entry (card_id, id);
"""
"""Schema 1 (tkanban 0.1.0.dev): metrics lived inside ``data``; no mentions, no phases."""

_V2 = """
ALTER TABLE log_entry ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}';
UPDATE log_entry SET metrics = json_extract(data, '$.metrics'),
                     data = json_remove(data, '$.metrics')
    WHERE json_type(data, '$.metrics') = 'object';
CREATE TABLE mention (
    entry_id INTEGER NOT NULL REFERENCES log_entry(id) ON DELETE CASCADE,
    user TEXT NOT NULL, PRIMARY KEY (entry_id, user));
CREATE INDEX ix_mention_user ON mention (user);
CREATE TABLE phase (
    id INTEGER PRIMARY KEY,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    name TEXT NOT NULL, goal TEXT NOT NULL DEFAULT '', timebox_seconds INTEGER NOT NULL,
    started_at REAL NOT NULL, ended_at REAL,
    decision TEXT CHECK (decision IN ('go', 'stop')), note TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL, decided_by TEXT);
"""
"""Schema 2: metrics get their own column, mentions are indexed, phases exist."""

def too_new(schema: int, requires: str | None) -> str:
    """What to say of a board whose schema is newer than this tkanban reads: the version it
    needs, when the board names one newer than this (a board only names the version that
    last wrote it)."""
    written = f"board schema {schema}; this tkanban reads up to {SCHEMA_VERSION}"
    if requires and _version_tuple(requires) > _version_tuple(__version__):
        return (f"this board needs tkanban >= {requires} (this is tkanban {__version__}; "
                f"{written})")
    return f"this board was written by a newer tkanban ({written})"


def schema_number(value: str | None) -> int:
    """The schema a board says it has (0 for none); a value that is no number is a damaged
    board, said in one line."""
    text = (value or "0").strip()
    if not text.isdigit() or len(text) > 6:
        raise BoardFileError(f"the board's schema mark is not a number ({text[:20]!r}); the "
                             "database was changed by something other than tkanban")
    return int(text)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _mentions_from_text(conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT id, text FROM log_entry").fetchall()
    conn.executemany(
        "INSERT OR IGNORE INTO mention (entry_id, user) VALUES (?, ?)",
        [(entry_id, user) for entry_id, text in rows for user in find_mentions(text)],
    )


_V3 = """
ALTER TABLE card ADD COLUMN log_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE card ADD COLUMN changed_seq INTEGER NOT NULL DEFAULT 0;
UPDATE card SET log_count = (SELECT count(*) FROM log_entry WHERE log_entry.card_id = card.id);
CREATE INDEX ix_card_changed ON card (board_id, changed_seq);
INSERT OR IGNORE INTO meta (key, value) VALUES ('change_seq', '0');
"""
"""Schema 3: each card carries its log count and the sequence number of its last change, so the
board loads without counting logs and a live board reloads only the lanes that changed."""

Migration = Callable[[Any], None]


def _script(sql: str) -> Migration:
    def run(conn: Any) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


def _v2(conn: sqlite3.Connection) -> None:
    _script(_V2)(conn)
    _mentions_from_text(conn)


MIGRATIONS: list[Migration] = [_script(_V1), _v2, _script(_V3)]
"""Migration ``i`` takes a file from schema ``i`` to ``i + 1``, up to ``BASE_VERSION`` (files
only: a database on a server starts at ``BASE_VERSION``)."""

BASE_VERSION = len(MIGRATIONS)

LATER = [
    Template("""
ALTER TABLE card ADD COLUMN labels TEXT NOT NULL DEFAULT '';
ALTER TABLE card ADD COLUMN blocked TEXT
"""),
    Template("""
CREATE TABLE relation (
    from_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('blocks', 'follows', 'relates', 'duplicates')),
    to_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    author TEXT NOT NULL, at $real NOT NULL,
    PRIMARY KEY (from_id, kind, to_id), CHECK (from_id <> to_id));
CREATE INDEX ix_relation_to ON relation (to_id, kind)
"""),
    Template("""
CREATE TABLE event (
    id $id,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    type TEXT NOT NULL, at $real NOT NULL, actor TEXT NOT NULL, card_id INTEGER,
    data TEXT NOT NULL DEFAULT '{}', once TEXT UNIQUE);
CREATE INDEX ix_event_board ON event (board_id, id);
CREATE TABLE delivery (
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    name $sorted NOT NULL, event_id INTEGER NOT NULL, updated_at $real NOT NULL,
    PRIMARY KEY (board_id, name))
"""),
    Template("""
CREATE TABLE run_link (
    card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    ref $sorted NOT NULL, author TEXT NOT NULL, at $real NOT NULL,
    name TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '', seen TEXT NOT NULL DEFAULT '{}', synced_at $real,
    PRIMARY KEY (card_id, ref))
"""),
    Template("""
ALTER TABLE run_link ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE run_link ADD COLUMN detail TEXT NOT NULL DEFAULT '{}'
"""),
]
"""Migrations after ``BASE_VERSION``, for both engines (with each engine's words): schema 4
gives cards free labels (space-separated, sorted) and a blocked reason (null when not
blocked); schema 5 relates cards (``relations``: "A blocks B", "A follows B" …); schema 6
keeps every change as an event, and the delivery cursors of watchers (``events``); schema 7
links experiment runs to cards (``runs``); schema 8 keeps what a verdict and a comparison need
of each run (its metrics' history, params, times, commit: ``detail``) and the run a card is
judged on alone (``pinned``)."""

SCHEMA_VERSION = BASE_VERSION + len(LATER)


BASE = Template("""
CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE board (id $id, name $sorted NOT NULL UNIQUE, created_at $real NOT NULL);
CREATE TABLE lane (
    id $id,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    name TEXT NOT NULL, slug TEXT NOT NULL, position INTEGER NOT NULL, wip_limit INTEGER,
    UNIQUE (board_id, slug));
CREATE TABLE card (
    id $id,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    lane_id INTEGER NOT NULL REFERENCES lane(id),
    kind TEXT NOT NULL CHECK (kind IN ('hypothesis', 'task')),
    title TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', criteria TEXT NOT NULL DEFAULT '',
    outcome TEXT CHECK (outcome IN ('validated', 'invalidated', 'inconclusive')),
    conclusion TEXT NOT NULL DEFAULT '',
    timebox_seconds INTEGER, clock_start $real, clock_stop $real,
    author TEXT NOT NULL, assignee TEXT,
    position INTEGER NOT NULL, archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at $real NOT NULL, updated_at $real NOT NULL, version INTEGER NOT NULL DEFAULT 1,
    log_count INTEGER NOT NULL DEFAULT 0, changed_seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX ix_card_lane ON card (lane_id, archived, position);
CREATE INDEX ix_card_board ON card (board_id, archived);
CREATE INDEX ix_card_changed ON card (board_id, changed_seq);
CREATE TABLE log_entry (
    id $id,
    card_id INTEGER NOT NULL REFERENCES card(id) ON DELETE CASCADE,
    author TEXT NOT NULL, at $real NOT NULL, kind TEXT NOT NULL DEFAULT 'note',
    text TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}');
CREATE INDEX ix_log_card ON log_entry (card_id, id);
CREATE TABLE mention (
    entry_id INTEGER NOT NULL REFERENCES log_entry(id) ON DELETE CASCADE,
    "user" $sorted NOT NULL, PRIMARY KEY (entry_id, "user"));
CREATE INDEX ix_mention_user ON mention ("user");
CREATE TABLE phase (
    id $id,
    board_id INTEGER NOT NULL REFERENCES board(id) ON DELETE CASCADE,
    name TEXT NOT NULL, goal TEXT NOT NULL DEFAULT '', timebox_seconds INTEGER NOT NULL,
    started_at $real NOT NULL, ended_at $real,
    decision TEXT CHECK (decision IN ('go', 'stop')), note TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL, decided_by TEXT);
INSERT INTO meta (key, value) VALUES ('change_seq', '0')
""")
"""Schema ``BASE_VERSION`` whole, with each engine's words for an id, a time and a name that
sorts the same everywhere (byte order): a new database gets it, then ``LATER``."""

TABLES = ("meta", "board", "lane", "card", "log_entry", "mention", "phase", "relation", "event",
          "delivery", "run_link")
"""tkanban's tables: a database holding one of these names and no tkanban marks belongs to
another application."""


def create_current(conn: Any, **words: str) -> None:
    """Create the current schema on ``conn`` (a connection with ``execute``)."""
    _script(BASE.substitute(words))(conn)
    upgrade(conn, BASE_VERSION, **words)


def upgrade(conn: Any, current: int, **words: str) -> None:
    """Take a database from schema ``current`` to ``SCHEMA_VERSION``."""
    for step in MIGRATIONS[current:BASE_VERSION]:
        step(conn)
    for later in LATER[max(current, BASE_VERSION) - BASE_VERSION:]:
        _script(later.substitute(words))(conn)


SQLITE_WORDS = {"id": "INTEGER PRIMARY KEY", "real": "REAL", "sorted": "TEXT"}
