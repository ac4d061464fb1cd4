"""Saving what still reads of a damaged board file, so that ``tkanban export`` works on it.

A file can be damaged by what the README warns against (a copy taken mid-write, two machines
writing over a filesystem that does not lock). SQLite then refuses whole queries that touch a
bad page, while most rows still read one at a time. The salvage copies every row it can read,
table by table in rowid order (the table's own tree, so a damaged index costs nothing), into a
new file with the same schema; leaves out rows that point at a row that did not survive (a log
entry whose card is lost); closes the gaps lost cards leave in their lanes; and says what it
left out. The copy is then an ordinary board, read by the ordinary export.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from tkanban.core.errors import BoardFileError
from tkanban.core.model.text import plural
from tkanban.core.model.timebox import Clock, system_clock
from tkanban.core.storage.filecheck import sqlite_uri
from tkanban.core.storage.sqlite import FileStore

BATCH = 500
"""Rows read by one query while the table reads well."""
WINDOW = 64
"""Rowids tried one by one past a place where a query failed."""
FAILURES_MAX = 20_000
"""Rowids that fail to read, in one table, before the rest of it is given up."""


@dataclass
class SalvageReport:
    saved: dict[str, int] = field(default_factory=dict)
    """Rows copied, by table."""
    unreadable: dict[str, int] = field(default_factory=dict)
    """Places (rowids) that could not be read, by table: rows lost, if a row was there."""
    orphaned: dict[str, int] = field(default_factory=dict)
    """Rows left out because what they belong to was lost, by table."""
    given_up: list[str] = field(default_factory=list)
    """Tables whose end could not be reached."""

    def lines(self) -> list[str]:
        """What was left out, one line each (nothing when everything read)."""
        out = [f"{table}: {count:,} unreadable place{'s' if count != 1 else ''} skipped"
               for table, count in self.unreadable.items() if count]
        out += [f"{table}: {plural(count, 'row')} left out (what they belong to was lost)"
                for table, count in self.orphaned.items() if count]
        out += [f"{table}: gave up reading past its damaged part" for table in self.given_up]
        return out


def open_salvaged(path: Path, clock: Clock = system_clock) -> tuple[FileStore, SalvageReport]:
    """A read-only store on what still reads of the damaged board file at ``path`` (a copy in
    a temporary folder, gone with the store), and what was left out."""
    folder = tempfile.mkdtemp(prefix="tkanban-salvage-")
    try:
        copy = Path(folder) / "salvaged.db"
        report = salvage(path, copy)
        store = FileStore.open_file(copy, clock=clock, storage="local")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    store.readonly, store.readonly_reason = True, "this is what could be saved of a damaged file"
    store.label = f"{path} (what still reads of it)"
    weakref.finalize(store, shutil.rmtree, folder, True)
    return store, report


def salvage(path: Path, into: Path) -> SalvageReport:
    """Copy what still reads of the board file at ``path`` into a new file at ``into``."""
    report = SalvageReport()
    source = sqlite3.connect(sqlite_uri(path, "ro") + "&immutable=1", uri=True)
    target = sqlite3.connect(into)
    try:
        try:
            tables = source.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                    "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
            indexes = source.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                     "sql IS NOT NULL").fetchall()
            marks = [source.execute(f"PRAGMA {name}").fetchone()[0]
                     for name in ("user_version", "application_id")]
        except sqlite3.DatabaseError as exc:
            raise BoardFileError(f"the board file is damaged beyond saving: even its list of "
                                 f"tables cannot be read ({exc}): {path}") from None
        target.execute("PRAGMA foreign_keys = OFF")
        for name, sql in tables:
            target.execute(sql)
            _copy(source, target, name, report)
        for (sql,) in indexes:
            target.execute(sql.replace("CREATE UNIQUE INDEX", "CREATE INDEX"))
        target.execute(f"PRAGMA user_version = {int(marks[0])}")
        target.execute(f"PRAGMA application_id = {int(marks[1])}")
        _drop_orphans(target, report)
        _close_gaps(target)
        target.commit()
    finally:
        source.close()
        target.close()
    return report


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, table: str,
          report: SalvageReport) -> None:
    columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{c}"' for c in columns)
    read = f'SELECT rowid, {names} FROM "{table}"'
    write = (f'INSERT OR IGNORE INTO "{table}" (rowid, {names}) VALUES '
             f'({", ".join("?" * (len(columns) + 1))})')
    try:
        top = source.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlite3.DatabaseError:
        top = None
    saved = failed = 0
    last = -(2**63)
    while True:
        try:
            batch = source.execute(f"{read} WHERE rowid > ? ORDER BY rowid LIMIT {BATCH}",
                                   (last,)).fetchall()
        except sqlite3.DatabaseError:
            batch = None
        if batch is not None:
            if not batch:
                break
            target.executemany(write, batch)
            saved += len(batch)
            last = batch[-1][0]
            continue
        # a damaged page after ``last``: try the next rowids one by one, past it
        start = max(last, 0) + 1
        for rowid in range(start, start + WINDOW):
            try:
                row = source.execute(f"{read} WHERE rowid = ?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                failed += 1
                continue
            if row is not None:
                target.execute(write, row)
                saved += 1
        last = start + WINDOW - 1
        if failed >= FAILURES_MAX or (top is not None and last >= top):
            if top is None or last < top:
                report.given_up.append(table)
            break
    report.saved[table] = saved
    report.unreadable[table] = failed


def _drop_orphans(target: sqlite3.Connection, report: SalvageReport) -> None:
    """Leave out rows whose parent was lost, until none is left (a lost card takes its log,
    and the log entries take their mentions)."""
    while True:
        found = target.execute("PRAGMA foreign_key_check").fetchall()
        if not found:
            return
        for table, rowid, _parent, _ in found:
            target.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
            report.orphaned[table] = report.orphaned.get(table, 0) + 1


def _close_gaps(target: sqlite3.Connection) -> None:
    """Positions 0, 1, 2 … in every lane again, in the order they were (lost cards leave
    gaps, which the board's rules do not allow)."""
    has_cards = target.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'card'").fetchone()
    if not has_cards:
        return
    rows = target.execute("SELECT id, lane_id FROM card WHERE NOT archived "
                          "ORDER BY lane_id, position, id").fetchall()
    lane, n = None, 0
    for card_id, lane_id in rows:
        n = 0 if lane_id != lane else n + 1
        lane = lane_id
        target.execute("UPDATE card SET position = ? WHERE id = ?", (n, card_id))
