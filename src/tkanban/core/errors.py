"""The errors the core raises. Each carries a message fit to show a user as is."""

from __future__ import annotations


class TkanbanError(Exception):
    """A problem with the data or the file, explained in one line."""


class ValidationError(TkanbanError):
    """User input that cannot be accepted (a bad title, time box, criterion ...)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(TkanbanError):
    """A card, lane, board or phase that does not exist."""


class BoardFileError(TkanbanError):
    """The board file cannot be used: not a board, damaged, too new, locked."""


class DamagedError(BoardFileError):
    """The board file fails SQLite's checks: ``export`` saves what still reads of it."""


class ReadOnlyError(TkanbanError):
    """A write was asked of a board opened read-only."""


class UnavailableError(TkanbanError):
    """The board cannot be reached just now; the same call may work when tried again."""


class LockedError(UnavailableError):
    """Another process held the board file's lock for longer than we waited."""


class ServerGoneError(UnavailableError):
    """The database server cannot be reached (down, restarting, or the connection dropped);
    nothing of the transaction under way was written."""


class UncertainWriteError(TkanbanError):
    """The connection dropped while a write was being committed: whether the server kept it is
    unknown, so it is not tried again (it could be written twice); read the board to see."""


class ConflictError(TkanbanError):
    """A write based on a stale version of a card: someone else changed it first."""

    def __init__(self, message: str, card_id: int, current_version: int, changed_by: str) -> None:
        super().__init__(message)
        self.card_id = card_id
        self.current_version = current_version
        self.changed_by = changed_by
