"""Where boards are kept: the engine protocol (``base``), the schema and its migrations, the
tables, a SQLite file with its checks and mounts, a PostgreSQL server, and salvage of a damaged
file. Nothing here knows what a board's operations are; ``open_store`` opens one."""

from __future__ import annotations

from pathlib import Path

from tkanban.core.errors import BoardFileError
from tkanban.core.model.timebox import Clock, system_clock
from tkanban.core.storage.base import Store, is_server_url
from tkanban.core.storage.sqlite import FileStore

__all__ = ["Store", "open_store"]


def open_store(location: str | Path, *, clock: Clock = system_clock,
               busy_timeout: float | None = None, readonly: bool | None = None,
               storage: str = "auto", create: bool = True) -> Store:
    """Open the board database at ``location``: a file path, or a ``postgresql://`` URL.

    With ``create`` false, a missing or empty database is refused rather than set up:
    reading never writes. ``storage`` and ``busy_timeout`` concern files only."""
    if isinstance(location, str) and "://" in location and not is_server_url(location):
        scheme = location.split("://", 1)[0]
        raise BoardFileError(f"cannot open a {scheme}:// URL: give a board file's path, "
                             "or a postgresql:// URL")
    if is_server_url(location):
        # here, not at the top: psycopg is an extra, and importing it costs ~160 ms that a
        # board in a file never needs
        from tkanban.core.storage.postgres import ServerStore

        return ServerStore.open_url(str(location), clock=clock, readonly=bool(readonly),
                                    create=create)
    return FileStore.open_file(Path(location), clock=clock, busy_timeout=busy_timeout,
                               readonly=readonly, storage=storage, create=create)
