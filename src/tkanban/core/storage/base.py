"""Where a board lives, seen the same way by everything above: a ``Store``.

Two engines stand behind it: a SQLite file (``filestore``, the embedded default, needing
nothing) and a PostgreSQL database (``server``, for a ``postgresql://`` URL). Every query and
every write is written once, above this layer, against what a store gives:

* ``reading()``: a short read transaction on a plain DB-API connection whose ``execute`` takes
  ``?`` placeholders (the standard library's sqlite3 for a file, so a board opens and
  ``tkanban list`` answers without importing the ORM);
* ``read()`` and ``write()``: short SQLModel sessions; a write holds the board's write lock from
  its first statement, so two writers never interleave a read-modify-write;
* ``sql(session)``: the write session's own connection, for the plain queries in a write;
* ``data_version()``: a number that changes when anyone commits, cheap enough to poll, and
  ``watch(wake)`` for an engine that tells of changes itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tkanban.core.errors import ReadOnlyError, TkanbanError
from tkanban.core.model.timebox import Clock, system_clock

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from tkanban.core.storage.mounts import StorageInfo

SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_url(location: str | Path) -> bool:
    """Whether ``location`` names a database on a server rather than a board file."""
    return isinstance(location, str) and location.lower().startswith(SERVER_SCHEMES)


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Sql(Protocol):
    """A connection in a transaction: ``execute(sql, params)`` with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Rows: ...


class Store:
    """One open board database. Create with ``Store.open(path or URL)``."""

    label: str
    """Where the board is, fit to show (a server URL without its password)."""
    noun = "file"
    """What messages call the place the boards are in (``file``, ``database``)."""
    mode: str
    """What the status bar says of the storage (``local``, ``network (nfs)``, a server)."""
    readonly: bool
    readonly_reason: str
    storage: StorageInfo
    clock: Clock
    wait_note = "waiting for the board file"
    """The bar's note while a call waits for the board (``UnavailableError``)."""
    wait_notice = ("waiting for the board file: another process holds its lock; your change is "
                   "kept and will be saved")
    upgrade_backup: Path | None = None
    """Where the board was copied before a schema upgrade on opening, if it was."""

    @classmethod
    def open(cls, location: str | Path, *, clock: Clock = system_clock,
             busy_timeout: float | None = None, readonly: bool | None = None,
             storage: str = "auto", create: bool = True) -> Store:
        """Open the board database at ``location``: a file path, or a ``postgresql://`` URL.

        With ``create`` false, a missing or empty database is refused rather than set up:
        reading never writes. ``storage`` and ``busy_timeout`` concern files only."""
        if isinstance(location, str) and "://" in location and not is_server_url(location):
            from tkanban.core.errors import BoardFileError

            scheme = location.split("://", 1)[0]
            raise BoardFileError(f"cannot open a {scheme}:// URL: give a board file's path, "
                                 "or a postgresql:// URL")
        if is_server_url(location):
            from tkanban.core.storage.postgres import ServerStore

            return ServerStore.open_url(str(location), clock=clock, readonly=bool(readonly),
                                        create=create)
        from tkanban.core.storage.sqlite import FileStore

        return FileStore.open_file(Path(location), clock=clock, busy_timeout=busy_timeout,
                                   readonly=readonly, storage=storage, create=create)

    # --- what each engine provides ---------------------------------------------------------

    def reading(self) -> AbstractContextManager[Sql]:
        """A short read transaction on a plain connection (see ``queries``)."""
        raise NotImplementedError

    def sql(self, session: Session) -> Sql:
        """The plain connection under a session, inside its transaction."""
        raise NotImplementedError

    @staticmethod
    def session_sql(session: Session) -> Sql:
        """The plain connection under a session this store opened (see ``sql``)."""
        store: Store = session.info["store"]
        return store.sql(session)

    def _session_engine(self, writing: bool) -> Engine:
        """The SQLAlchemy engine for read (``writing`` false) or write sessions."""
        raise NotImplementedError

    def _translate(self, exc: BaseException, committing: bool = False) -> TkanbanError:
        """A database error as a one-line message for the user."""
        raise NotImplementedError

    def _begin_write(self, session: Session) -> None:
        """Called first in a write session: take the write lock if the engine's BEGIN did not."""

    def _before_commit(self, session: Session) -> None:
        """Called as a write session is about to commit."""

    def ids_given(self, session: Session) -> None:
        """Rows were inserted with ids of their own (an import): the engine's id counters
        must move past them."""

    def data_version(self) -> int:
        """A number that changes whenever anyone commits to the board: a cheap poll."""
        raise NotImplementedError

    def watch(self, wake: Callable[[], None]) -> bool:
        """Call ``wake`` (from another thread) when someone may have changed the board, or
        when ``problem`` changes; False when the engine cannot, and must be polled."""
        return False

    @property
    def problem(self) -> str | None:
        """What keeps the board from being reached just now (shown in the bar), if anything."""
        return None

    def cancel(self) -> None:
        """Refuse all SQL from now on, also a statement under way: a transaction that is open
        rolls back whole (for a process asked to stop while it writes)."""
        raise NotImplementedError

    def integrity_problems(self) -> list[str]:
        """The full integrity check; empty when the board is sound."""
        raise NotImplementedError

    def check_summary(self) -> str:
        """What ``tkanban check`` says of a sound board."""
        raise NotImplementedError

    def mark_damaged(self, problems: list[str]) -> None:
        """Refuse every write from now on: writing to a damaged board spreads the damage."""
        self.readonly = True
        self.readonly_reason = f"the board is damaged ({problems[0]})"

    def backup(self, dest: Path) -> list[str]:
        """A consistent copy of the board at ``dest``; its integrity problems, empty when
        sound."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- sessions, the same on every engine ------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A short read transaction through the ORM."""
        from sqlalchemy.exc import DBAPIError
        from sqlmodel import Session

        try:
            with Session(self._session_engine(False), expire_on_commit=False,
                         info={"store": self}) as session, session.begin():
                yield session
        except DBAPIError as exc:
            raise self._translate(exc) from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction holding the board's write lock from its first statement.
        A failure before the commit leaves nothing written; one during the commit is reported
        as such (``committing``), since the engine may or may not have kept it."""
        if self.readonly:
            raise ReadOnlyError(f"{self.readonly_reason}; nothing was changed: {self.label}")
        from sqlalchemy.exc import DBAPIError
        from sqlmodel import Session

        committing = False
        try:
            with Session(self._session_engine(True), expire_on_commit=False,
                         info={"store": self}) as session:
                with session.begin():
                    self._begin_write(session)
                    yield session
                    for hook in session.info.pop("before_commit", ()):
                        hook(session)
                    session.flush()
                    self._before_commit(session)
                    committing = True
        except DBAPIError as exc:
            raise self._translate(exc, committing) from None


def on_commit(session: Session, hook: Callable[[Session], None]) -> None:
    """Run ``hook(session)`` once the write's body is done, just before it commits."""
    session.info.setdefault("before_commit", []).append(hook)


def dumps(value: object) -> str:
    """Compact, stable JSON for columns holding structured data."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
