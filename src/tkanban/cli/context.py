"""What every command runs with: the open store, the board, the user, and the settings they
came from (``--db``/``--board``/``--user``, the environment, ``config.toml``)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from tkanban.cli.arguments import PROG
from tkanban.cli.output import warn
from tkanban.core.errors import DamagedError
from tkanban.core.model.records import DEFAULT_BOARD
from tkanban.core.model.text import clean_name
from tkanban.user.config import Config, load_config
from tkanban.user.paths import default_db_path, resolve_db_path

if TYPE_CHECKING:
    from tkanban.core.storage.base import Store


class Opens(Enum):
    """What a command does to the board file before it runs (``set_defaults(opens=...)``).
    Reading never writes, and a command that needs a card cannot start a board: a typo in
    ``--db`` would leave a ghost board behind."""

    NOTHING = "nothing"
    """No board at all (``keys``, ``config path``)."""
    BOARD = "board"
    """An existing board."""
    FILE = "file"
    """The file may be created (``import`` fills a new one)."""
    NEW_BOARD = "new board"
    """The file and the named board may be created (commands that add to an empty board)."""


def settings(args: argparse.Namespace, *, always: bool = False) -> Config:
    """config.toml; a command reads it only when something it may set was not given
    otherwise (a script passing --db, --board and --user never reads it); the board and
    ``keys`` always do (key map, theme)."""
    given = ((getattr(args, "db", None) or os.environ.get("TKANBAN_DB"))
             and (getattr(args, "user", None) or os.environ.get("TKANBAN_USER"))
             and getattr(args, "board", None))
    if given and not always:
        return Config()
    config = load_config()
    for problem in config.problems:
        warn(problem)
    return config


def user_name(args: argparse.Namespace, configured: str | None = None) -> str:
    """``--user``, else ``$TKANBAN_USER``, else config.toml's, else the login name."""
    name = getattr(args, "user", None) or os.environ.get("TKANBAN_USER") or configured
    if name:
        return clean_name(name)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "user"
    return "".join(ch for ch in login if ch.isalnum() or ch in "._-") or "user"


class Context:
    """What every command needs: the open store, the board name, the user, the clock."""

    def __init__(self, args: argparse.Namespace, opens: Opens = Opens.BOARD,
                 salvage: bool = False) -> None:
        """``salvage``: a damaged board file opens as what still reads of it (``export``)."""
        # the storage engines, here rather than at the top: ``keys`` and ``--help`` open no
        # board and need none of them (~15 ms of imports)
        from tkanban.core.board.reads import board_exists
        from tkanban.core.storage import open_store

        config = settings(args)
        location = resolve_db_path(getattr(args, "db", None), config.db)
        self.location = location
        create = opens in (Opens.FILE, Opens.NEW_BOARD)
        if create and location == default_db_path():
            default_db_path().parent.mkdir(parents=True, exist_ok=True)
        self.board = getattr(args, "board", None) or config.board or DEFAULT_BOARD
        self.board_chosen = self.board != DEFAULT_BOARD or bool(getattr(args, "board", None))
        """The board was named (``--board``, config.toml): card commands keep to it."""
        self.user = user_name(args, config.user)
        try:
            self.store: Store = open_store(location, storage=getattr(args, "storage", "auto"),
                                           create=create)
        except DamagedError as exc:
            if not salvage or not isinstance(location, Path):
                raise
            from tkanban.core.storage.salvage import open_salvaged

            warn(f"{exc}; saving what still reads of it")
            self.store, report = open_salvaged(location)
            for line in report.lines():
                warn(line)
        if self.store.upgrade_backup is not None:
            print(f"{PROG}: the board file was upgraded to this tkanban's format; the file as "
                  f"it was is kept at {self.store.upgrade_backup}", file=sys.stderr)
        if opens is Opens.NEW_BOARD and not board_exists(self.store, self.board):
            from tkanban.core.board.cards import ensure_board  # the ORM: only to write

            ensure_board(self.store, self.board)

    @property
    def now(self) -> float:
        return self.store.clock()
