"""The board file: opening and checking it, the engine, every transaction, migrations and the
cheap change check.

A board file may sit on a network drive and be open in many processes at once, so:

* the rollback journal (``journal_mode=DELETE``), never WAL, which needs shared memory that
  network filesystems lack;
* ``synchronous=FULL``, ``foreign_keys=ON`` and a busy timeout on every connection;
* every write takes the write lock first (``BEGIN IMMEDIATE``), so two writers never interleave
  a read-modify-write; reads use a plain ``BEGIN``;
* one short session per action, closed at once, so no idle transaction holds a lock.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tkanban import __version__
from tkanban.core.errors import BoardFileError, LockedError, ReadOnlyError, TkanbanError
from tkanban.core.storage import StorageInfo, detect
from tkanban.core.timebox import Clock, system_clock

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

APPLICATION_ID = 0x746B616E  # "tkan"
SQLITE_HEADER = b"SQLite format 3\x00"
LOCAL_BUSY_TIMEOUT = 5.0
PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at whether the store was cancelled."""
NETWORK_BUSY_TIMEOUT = 15.0

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

_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][\w.\-]*)")


def find_mentions(text: str) -> list[str]:
    """The user names ``@mentioned`` in ``text``, lower-cased, without trailing dots."""
    names = {m.rstrip(".-").lower() for m in _MENTION.findall(text)}
    return sorted(n for n in names if n)


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

Migration = Callable[[sqlite3.Connection], None]


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)

    return run


def _v2(conn: sqlite3.Connection) -> None:
    _script(_V2)(conn)
    _mentions_from_text(conn)


MIGRATIONS: list[Migration] = [_script(_V1), _v2, _script(_V3)]
"""Migration ``i`` takes a file from schema ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class FileCheck:
    """What opening a board file found."""

    exists: bool
    readonly: bool
    schema: int


JOURNAL_MAGIC = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
SQLITE_READONLY_ROLLBACK = 776
"""SQLite's answer to a read-only connection that finds a hot journal it cannot roll back."""


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def has_hot_journal(path: Path) -> bool:
    """Whether an interrupted write left its rollback journal next to ``path``. (A journal of a
    write still running looks the same; SQLite tells the two apart by the lock.)"""
    try:
        with journal_path(path).open("rb") as handle:
            return handle.read(8) == JOURNAL_MAGIC
    except OSError:
        return False


def _ro_uri(path: Path) -> str:
    return f"file:{quote(str(path.absolute()))}?mode=ro"


def _rw_uri(path: Path) -> str:
    return f"file:{quote(str(path.absolute()))}?mode=rwc"


def _interrupted(path: Path) -> ReadOnlyError:
    return ReadOnlyError(
        f"an interrupted write left its journal ({journal_path(path).name}) next to the board "
        f"file, and the file or its folder is read-only, so it cannot be rolled back: run tkanban "
        f"on it once with write access (or ask its owner to), and it heals itself: {path}"
    )


def translate(exc: BaseException, path: Path) -> TkanbanError:
    """Turn an SQLite error into a one-line message for the user."""
    cause = getattr(exc, "orig", None) or exc
    if getattr(cause, "sqlite_errorcode", None) == SQLITE_READONLY_ROLLBACK:
        return _interrupted(path)
    orig = " ".join(str(cause).split())
    text = orig.lower()
    if "locked" in text or "busy" in text:
        return LockedError(f"the board file is locked by another process; try again: {path}")
    if "readonly" in text or "read-only" in text:
        return ReadOnlyError(f"the board file is read-only, nothing was changed: {path}")
    if "interrupted" in text:
        return BoardFileError(f"stopped before the change was written; nothing was changed: "
                              f"{path}")
    if "full" in text:
        return BoardFileError(f"the disk is full, nothing was changed: {path}")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return BoardFileError(f"the board file is damaged ({orig}): {path}")
    if "unable to open" in text:
        return BoardFileError(f"cannot open the board file: {path}")
    return BoardFileError(f"board file error ({orig}): {path}")


def _writable(path: Path) -> bool:
    """Writable for us, and not marked read-only for everyone (which even root respects here)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(stat.S_IMODE(mode) & 0o222)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _too_new(path: Path, schema: int, requires: str | None) -> BoardFileError:
    written = (f"board schema {schema}; this tkanban reads up to {SCHEMA_VERSION}")
    if requires and _version_tuple(requires) > _version_tuple(__version__):
        return BoardFileError(f"this board needs tkanban >= {requires} (this is tkanban "
                              f"{__version__}; {written}): {path}")
    return BoardFileError(f"this board was written by a newer tkanban ({written}): {path}")


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"))


def check_file(path: Path) -> FileCheck:
    """Make sure ``path`` is a tkanban board (or absent) without changing a byte of it, except
    to roll back a write that was interrupted (as any SQLite client would on its first read)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        parent = path.absolute().parent
        if not parent.is_dir():
            raise BoardFileError(
                f"the folder for the board file does not exist: {parent}") from None
        return FileCheck(exists=False, readonly=not _writable(parent), schema=0)
    except NotADirectoryError:
        raise BoardFileError(f"a part of the board file's path is not a folder: {path}") from None
    except PermissionError:
        raise BoardFileError(f"no permission to reach the board file: {path}") from None
    if stat.S_ISDIR(mode):
        raise BoardFileError(f"the board file is a folder: {path}")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a file")
        raise BoardFileError(f"the board file is not a regular file ({kind}): {path}")
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except PermissionError:
        raise BoardFileError(f"no permission to read the board file: {path}") from None
    except OSError as exc:
        raise BoardFileError(f"cannot read the board file ({exc.strerror}): {path}") from None
    readonly = not _writable(path) or not _writable(path.absolute().parent)
    if not header:
        return FileCheck(exists=True, readonly=readonly, schema=0)
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):
        raise BoardFileError(f"not a tkanban board (not an SQLite database): {path}")
    header_app_id = int.from_bytes(header[68:72], "big")
    if header_app_id not in (0, APPLICATION_ID):
        raise BoardFileError(f"not a tkanban board (an SQLite file of another application): {path}")
    uri = _ro_uri(path)
    if header_app_id == APPLICATION_ID and has_hot_journal(path):
        if readonly:
            raise _interrupted(path)
        uri = uri.replace("mode=ro", "mode=rw")  # the first read rolls the journal back
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=LOCAL_BUSY_TIMEOUT)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            schema = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != APPLICATION_ID and (app_id != 0 or tables):
                raise BoardFileError(
                    f"not a tkanban board (an SQLite file of another application): {path}"
                )
            if schema > SCHEMA_VERSION:
                try:
                    row = conn.execute("SELECT value FROM meta WHERE key = 'requires'").fetchone()
                except sqlite3.DatabaseError:
                    row = None
                raise _too_new(path, schema, row[0] if row else None)
            status = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if status != "ok":
                detail = " ".join(status.replace("*", " ").split())
                raise BoardFileError(f"the board file is damaged ({detail}): {path}")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise translate(exc, path) from None
    if mode == "wal" and readonly:
        raise BoardFileError(
            f"the board file is in WAL mode, which cannot be shared across machines, and it is "
            f"read-only so it cannot be switched back: {path}"
        )
    return FileCheck(exists=True, readonly=readonly, schema=schema)


def integrity_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """What SQLite's full integrity check and the foreign-key check find (empty when sound).
    Unlike the quick check run on opening, this reads every index against its table."""
    found = [row[0] for row in conn.execute(f"PRAGMA integrity_check({int(limit)})")]
    if found == ["ok"]:
        found = []
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchmany(limit):
        found.append(f"row {rowid} of {table} points to a missing {parent}")
    return [" ".join(problem.replace("*", " ").split()) for problem in found]


def copy_database(source: sqlite3.Connection, dest: Path) -> list[str]:
    """Copy an open database to a new file ``dest`` with SQLite's online backup (a consistent
    snapshot, even while other processes write); returns the copy's integrity problems. The
    copy appears under its name only once complete and on disk."""
    dest = dest.absolute()
    if dest.exists():
        raise BoardFileError(f"{dest} already exists; give a new file name")
    if not dest.parent.is_dir():
        raise BoardFileError(f"the folder for the copy does not exist: {dest.parent}")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            problems = integrity_problems(target)
        finally:
            target.close()
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        raise BoardFileError(f"cannot write the copy ({exc.strerror}): {dest}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return problems


class Store:
    """One open board file. Create with ``Store.open(path)``."""

    def __init__(self, path: Path, *, readonly: bool, clock: Clock, busy_timeout: float,
                 storage: StorageInfo | None = None, readonly_reason: str = "") -> None:
        self.path = path
        self.readonly = readonly
        self.readonly_reason = readonly_reason or "the board file is read-only"
        self.storage = storage or StorageInfo(False, "", "")
        self.clock = clock
        self.busy_timeout = busy_timeout
        uri = _ro_uri(path) if readonly else _rw_uri(path)
        self._cancelled = threading.Event()

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
            conn.isolation_level = None
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
            conn.set_progress_handler(self._cancelled.is_set, PROGRESS_STEPS)
            return conn

        self._connect = connect
        self.upgrade_backup: Path | None = None
        """Where the file was copied before a schema upgrade on opening, if it was."""
        self._engines: dict[str, Engine] = {}
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()

    def _engine(self, begin: str) -> Engine:
        """An SQLAlchemy engine whose transactions start with ``begin`` (SQLAlchemy's recipe
        for SQLite: no implicit BEGIN from the driver, our own from a ``begin`` event). Made on
        first use: reads through ``query`` never import SQLAlchemy."""
        if begin not in self._engines:
            from sqlalchemy import create_engine, event
            from sqlalchemy.pool import NullPool

            engine = create_engine("sqlite://", creator=self._connect, poolclass=NullPool)

            @event.listens_for(engine, "begin")
            def do_begin(conn: Any) -> None:
                conn.exec_driver_sql(begin)

            self._engines[begin] = engine
        return self._engines[begin]

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        clock: Clock = system_clock,
        busy_timeout: float | None = None,
        readonly: bool | None = None,
        storage: str = "auto",
        create: bool = True,
    ) -> Store:
        """Check, create or migrate the board file at ``path`` and return a store on it.

        ``storage`` is ``auto`` (read the mount table), ``local`` or ``network``. On a network
        filesystem the busy timeout is longer; where it has cross-machine locking switched off,
        or a sync tool copies the folder, the board opens read-only, since two machines
        writing could corrupt it. With ``create`` false, a missing or empty file is refused
        rather than made a board: reading never writes.
        """
        found = check_file(path) if create or os.path.lexists(path) else FileCheck(False, True, 0)
        if not create and found.schema == 0:
            state = "the file is empty" if found.exists else "the file does not exist"
            raise BoardFileError(
                f"there is no board at {path} ({state}); 'tkanban add', 'tkanban demo', "
                "'tkanban import' or the board itself create one"
            )
        info = detect(path, override=storage)
        is_ro = found.readonly if readonly is None else (readonly or found.readonly)
        reason = ""
        if info.no_lock_reason:
            reason = (f"{info.no_lock_reason}, so two machines writing could corrupt the board; "
                      "it opens read-only (if only this machine writes to it: --storage local)")
            if not found.exists:
                raise BoardFileError(f"cannot create a board there: {reason}: {path}")
            is_ro = True
        if is_ro and not found.exists:
            raise ReadOnlyError(f"cannot create the board file, its folder is read-only: {path}")
        if is_ro and found.schema < SCHEMA_VERSION:
            raise ReadOnlyError(
                f"the board file is read-only and was written by an older tkanban; "
                f"open it once with write access to upgrade it: {path}"
            )
        if busy_timeout is None:
            busy_timeout = NETWORK_BUSY_TIMEOUT if info.network else LOCAL_BUSY_TIMEOUT
        store = cls(path, readonly=is_ro, clock=clock, busy_timeout=busy_timeout, storage=info,
                    readonly_reason=reason)
        if not is_ro:
            store._prepare(found)
        return store

    def _prepare(self, found: FileCheck) -> None:
        """Leave WAL mode if another tool set it, then create or upgrade the schema."""
        try:
            conn = self._connect()
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "delete":
                    mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
                    if mode != "delete":
                        raise BoardFileError(
                            "the board file is in WAL mode (set by another tool), which cannot "
                            "work across machines, and could not be switched back while it is "
                            f"open elsewhere: {self.path}"
                        )
                if 0 < found.schema < SCHEMA_VERSION:
                    self.upgrade_backup = self._backup_before_upgrade(conn, found.schema)
                if found.schema < SCHEMA_VERSION:
                    self._migrate(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path) from None

    def _backup_before_upgrade(self, conn: sqlite3.Connection, schema: int) -> Path:
        """Copy the file as it is before its schema is upgraded, next to it."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.clock()))
        dest = self.path.with_name(f"{self.path.name}.schema{schema}-{stamp}.bak")
        problems = copy_database(conn, dest)
        if problems:
            dest.unlink(missing_ok=True)
            raise BoardFileError(f"the board file is damaged ({problems[0]}), so it is not "
                                 f"upgraded: {self.path}")
        return dest

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in MIGRATIONS[current:]:
                step(conn)
            if current < SCHEMA_VERSION:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('requires', ?)",
                    (__version__,),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def query(self) -> Iterator[sqlite3.Connection]:
        """A short read transaction on a plain sqlite3 connection (see ``queries``)."""
        try:
            conn = self._connect()
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path) from None
        try:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path) from None
        finally:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read transaction through the ORM."""
        from sqlalchemy.exc import DBAPIError
        from sqlmodel import Session

        try:
            with Session(self._engine("BEGIN"), expire_on_commit=False) as session, \
                    session.begin():
                yield session
        except DBAPIError as exc:
            raise translate(exc, self.path) from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction holding the file's write lock from its first statement."""
        if self.readonly:
            raise ReadOnlyError(f"{self.readonly_reason}; nothing was changed: {self.path}")
        from sqlalchemy.exc import DBAPIError
        from sqlmodel import Session

        try:
            with Session(self._engine("BEGIN IMMEDIATE"), expire_on_commit=False) as session, \
                    session.begin():
                yield session
        except DBAPIError as exc:
            raise translate(exc, self.path) from None

    def cancel(self) -> None:
        """Refuse all SQL from now on, also a statement under way: a transaction that is open
        rolls back whole (for a process asked to stop while it writes)."""
        self._cancelled.set()

    def integrity_problems(self) -> list[str]:
        """The full integrity check of the file (slower than the check on opening: it reads
        every index against its table); empty when the file is sound."""
        try:
            conn = self._connect()
            try:
                return integrity_problems(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            problem = translate(exc, self.path)
            if isinstance(problem, LockedError):
                raise problem from None
            return [str(exc)]

    def mark_damaged(self, problems: list[str]) -> None:
        """Refuse every write from now on: writing to a damaged file spreads the damage."""
        self.readonly = True
        self.readonly_reason = f"the board file is damaged ({problems[0]})"

    def backup(self, dest: Path) -> list[str]:
        """A consistent copy of the board file at ``dest`` (made while others may write);
        returns the copy's integrity problems, empty when sound."""
        if dest.absolute() == self.path.absolute() or (
                dest.exists() and self.path.exists() and dest.samefile(self.path)):
            raise BoardFileError(f"the copy cannot be the board file itself: {dest}")
        try:
            conn = self._connect()
            try:
                return copy_database(conn, dest)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise translate(exc, self.path) from None

    def data_version(self) -> int:
        """A number that changes whenever any process commits to the file: a cheap poll."""
        with self._watch_lock:
            try:
                if self._watch is None:
                    self._watch = self._connect()
                return int(self._watch.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.DatabaseError as exc:
                raise translate(exc, self.path) from None

    def close(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        for engine in self._engines.values():
            engine.dispose()


def dumps(value: object) -> str:
    """Compact, stable JSON for columns holding structured data."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
