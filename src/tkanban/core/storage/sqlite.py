"""A board in a SQLite file: its connections, transactions, creating and migrating the schema,
and the cheap change check. (Checking a file before opening it is ``boardfile``'s; the schema and
its migrations are ``schema``'s; what every store does is ``store``'s.)

A board file may sit on a network drive and be open in many processes at once, so:

* the rollback journal (``journal_mode=DELETE``), never WAL, which needs shared memory that
  network filesystems lack;
* ``synchronous=FULL``, ``foreign_keys=ON`` and a busy timeout on every connection;
* every write takes the write lock first (``BEGIN IMMEDIATE``), so two writers never interleave
  a read-modify-write; reads use a plain ``BEGIN``;
* one short session per action, closed at once, so no idle transaction holds a lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tkanban import __version__
from tkanban.core.errors import (
    BoardFileError,
    DamagedError,
    LockedError,
    ReadOnlyError,
    TkanbanError,
)
from tkanban.core.model.timebox import Clock, system_clock
from tkanban.core.storage.base import Store
from tkanban.core.storage.filecheck import (
    LOCAL_BUSY_TIMEOUT,
    NETWORK_BUSY_TIMEOUT,
    FileCheck,
    check_file,
    copy_database,
    integrity_problems,
    sqlite_uri,
    translate,
)
from tkanban.core.storage.mounts import StorageInfo, detect
from tkanban.core.storage.schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    SQLITE_WORDS,
    create_current,
    upgrade,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at whether the store was cancelled."""


class FileStore(Store):
    """One open board file. Open with ``open_store(path)``."""

    def __init__(self, path: Path, *, readonly: bool, clock: Clock, busy_timeout: float,
                 storage: StorageInfo | None = None, readonly_reason: str = "") -> None:
        self.path = path
        self.label = str(path)
        self.readonly = readonly
        self.readonly_reason = readonly_reason or "the board file is read-only"
        self.storage = storage or StorageInfo(False, "", "")
        self.mode = self.storage.label
        self.clock = clock
        self.busy_timeout = busy_timeout
        uri = sqlite_uri(path, "ro" if readonly else "rwc")
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
        first use: reads through ``reading`` never import SQLAlchemy."""
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
    def open_file(
        cls,
        path: Path,
        *,
        clock: Clock = system_clock,
        busy_timeout: float | None = None,
        readonly: bool | None = None,
        storage: str = "auto",
        create: bool = True,
    ) -> FileStore:
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
            raise DamagedError(f"the board file is damaged ({problems[0]}), so it is not "
                                 f"upgraded: {self.path}")
        return dest

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            if current == 0:
                create_current(conn, **SQLITE_WORDS)
            else:
                upgrade(conn, current, **SQLITE_WORDS)
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
    def reading(self) -> Iterator[sqlite3.Connection]:
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

    def _session_engine(self, writing: bool) -> Engine:
        return self._engine("BEGIN IMMEDIATE" if writing else "BEGIN")

    def _translate(self, exc: BaseException, committing: bool = False) -> TkanbanError:
        return translate(exc, self.path)

    def sql(self, session: Session) -> sqlite3.Connection:
        conn = session.connection().connection.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        return conn

    def cancel(self) -> None:
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
        super().mark_damaged(problems)
        self.readonly_reason = f"the board file is damaged ({problems[0]})"

    def check_summary(self) -> str:
        return f"ok: {self.path} passes SQLite's full integrity check"

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

