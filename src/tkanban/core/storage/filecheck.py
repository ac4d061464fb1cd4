"""Checking a board file before it is opened, and what SQLite says about it after.

A file may be missing, empty, not SQLite, another application's, too new, damaged, read-only,
on a filesystem object that is not a file, or left with the journal of an interrupted write:
each case is told apart here, without changing a byte of the file (except rolling back that
interrupted write, as any SQLite client does on its first read where it may write).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tkanban.core.errors import (
    BoardFileError,
    DamagedError,
    LockedError,
    ReadOnlyError,
    TkanbanError,
)
from tkanban.core.storage.schema import APPLICATION_ID, SCHEMA_VERSION, SQLITE_HEADER, too_new

LOCAL_BUSY_TIMEOUT = 5.0
NETWORK_BUSY_TIMEOUT = 15.0


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


def sqlite_uri(path: Path, mode: str) -> str:
    """The file as an SQLite URI opened in ``mode``: ``ro``, ``rw`` (never creates) or
    ``rwc``."""
    return f"file:{quote(str(path.absolute()))}?mode={mode}"


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
        return DamagedError(f"the board file is damaged ({orig}): {path}")
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
    open_mode = "ro"
    if header_app_id == APPLICATION_ID and has_hot_journal(path):
        if readonly:
            raise _interrupted(path)
        open_mode = "rw"  # the first read on a writable connection rolls the journal back
    uri = sqlite_uri(path, open_mode)
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
                raise BoardFileError(f"{too_new(schema, row[0] if row else None)}: {path}")
            status = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if status != "ok":
                detail = " ".join(status.replace("*", " ").split())
                raise DamagedError(f"the board file is damaged ({detail}): {path}")
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
