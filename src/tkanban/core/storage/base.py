"""Where a board lives, seen the same way by everything above: a ``Store``.

Two engines stand behind it: a SQLite file (``sqlite``, the embedded default, needing
nothing) and a PostgreSQL database (``postgres``, for a ``postgresql://`` URL), opened by
``open_store`` (the package's own function). Every query and
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
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tkanban.core.errors import ReadOnlyError, TkanbanError
from tkanban.core.model.timebox import Clock

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


class Store(ABC):
    """One open board database: a file or a server database. Open one with
    ``tkanban.core.storage.open_store``; the engines are ``sqlite.FileStore`` and
    ``postgres.ServerStore``."""

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

    # --- what each engine provides ---------------------------------------------------------

    @abstractmethod
    def reading(self) -> AbstractContextManager[Sql]:
        """A short read transaction on a plain connection (see ``queries``)."""
        raise NotImplementedError

    @abstractmethod
    def sql(self, session: Session) -> Sql:
        """The plain connection under a session, inside its transaction."""
        raise NotImplementedError

    @staticmethod
    def session_sql(session: Session) -> Sql:
        """The plain connection under a session this store opened (see ``sql``)."""
        return Transaction.of(session).store.sql(session)

    @abstractmethod
    def _session_engine(self, writing: bool) -> Engine:
        """The SQLAlchemy engine for read (``writing`` false) or write sessions."""
        raise NotImplementedError

    @abstractmethod
    def _translate(self, exc: BaseException, committing: bool = False) -> TkanbanError:
        """A database error as a one-line message for the user."""
        raise NotImplementedError

    def _begin_write(self, session: Session) -> None:
        """Called first in a write session: take the write lock if the engine's BEGIN did not
        (by default it did)."""
        return None

    def _before_commit(self, session: Session) -> None:
        """Called as a write session is about to commit (by default: nothing to do)."""
        return None

    def ids_given(self, session: Session) -> None:
        """Rows were inserted with ids of their own (an import): the engine's id counters
        must move past them (by default they do by themselves)."""
        return None

    @abstractmethod
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

    @abstractmethod
    def cancel(self) -> None:
        """Refuse all SQL from now on, also a statement under way: a transaction that is open
        rolls back whole (for a process asked to stop while it writes)."""
        raise NotImplementedError

    @abstractmethod
    def integrity_problems(self) -> list[str]:
        """The full integrity check; empty when the board is sound."""
        raise NotImplementedError

    @abstractmethod
    def check_summary(self) -> str:
        """What ``tkanban check`` says of a sound board."""
        raise NotImplementedError

    def mark_damaged(self, problems: list[str]) -> None:
        """Refuse every write from now on: writing to a damaged board spreads the damage."""
        self.readonly = True
        self.readonly_reason = f"the board is damaged ({problems[0]})"

    @abstractmethod
    def backup(self, dest: Path) -> list[str]:
        """A consistent copy of the board at ``dest``; its integrity problems, empty when
        sound."""
        raise NotImplementedError

    @abstractmethod
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
                         info={_TRANSACTION: Transaction(self)}) as session, session.begin():
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
            state = Transaction(self)
            with Session(self._session_engine(True), expire_on_commit=False,
                         info={_TRANSACTION: state}) as session:
                with session.begin():
                    self._begin_write(session)
                    yield session
                    hooks, state.before_commit = state.before_commit, []
                    for hook in hooks:
                        hook(session)
                    session.flush()
                    self._before_commit(session)
                    committing = True
        except DBAPIError as exc:
            raise self._translate(exc, committing) from None


_TRANSACTION = "tkanban.transaction"


@dataclass
class Transaction:
    """What a read or write transaction carries beside its session: the store that opened it
    and, for a write, the change number it took and what it does as it commits. Kept with
    the session; ``Transaction.of(session)`` finds it."""

    store: Store
    seq: int | None = None
    """The change number this write gave the board (``transaction.next_seq``), once taken."""
    card_events: list[Any] = field(default_factory=list)
    """Events about cards, written as the write commits (with the cards as they are then)."""
    before_commit: list[Callable[[Session], None]] = field(default_factory=list)
    """Run once the write's body is done, just before it commits (``on_commit``)."""

    @staticmethod
    def of(session: Session) -> Transaction:
        state = session.info[_TRANSACTION]
        assert isinstance(state, Transaction)
        return state


def on_commit(session: Session, hook: Callable[[Session], None]) -> None:
    """Run ``hook(session)`` once the write's body is done, just before it commits."""
    Transaction.of(session).before_commit.append(hook)


def dumps(value: object) -> str:
    """Compact, stable JSON for columns holding structured data."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
