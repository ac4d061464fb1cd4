"""Opening the board from the command line: the store, a missing board created, the app run."""

from __future__ import annotations

import sys
from pathlib import Path

from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError
from tkanban.core.model.records import DEFAULT_BOARD
from tkanban.core.model.text import visible
from tkanban.core.model.timebox import system_clock
from tkanban.core.storage import open_store
from tkanban.tui.app import TkanbanApp
from tkanban.user.config import Config
from tkanban.user.editor import forbid
from tkanban.user.paths import default_db_path


def run_board(db: Path | str, board: str | None, user: str, storage: str = "auto",
              config: Config | None = None, sync_interval: float | None = None,
              tracking_uri: str | None = None, served: bool = False) -> int:
    """Open the board (a file, or a ``postgresql://`` URL) and run the app; problems opening
    it are one line on stderr, exit 1. A missing file or board is created, and the board says
    so. A board ``served`` to a browser (``tkanban serve``) starts no process: no editor."""
    if served:
        forbid("no editor in a board served to a browser: it would run on the serving "
               "machine; write the text in the field")

    config = config or Config()
    if db == default_db_path():
        default_db_path().parent.mkdir(parents=True, exist_ok=True)
    name = board or DEFAULT_BOARD
    notices = [*config.problems]
    try:
        existed = not isinstance(db, Path) or (db.exists() and db.stat().st_size > 0)
        # A short wait per attempt: the app itself keeps retrying, and says it is waiting.
        store = open_store(db, clock=system_clock, storage=storage, busy_timeout=2.0)
        if not q.board_exists(store, name):
            # the ORM (~0.45 s of imports), only for a board that is not there yet: the
            # app loads it in the background once the board is on screen
            from tkanban.core.board.cards import ensure_board

            ensure_board(store, name)
            notices.append(f"created a new board file: {db}" if not existed
                           else f"created the board {name!r} in {store.label}")
    except TkanbanError as exc:
        print(f"tkanban: error: {visible(str(exc), multiline=False)}", file=sys.stderr)
        return 1
    if store.upgrade_backup is not None:
        notices.append("the board file was upgraded to this tkanban's format; the file as it "
                       f"was is kept at {store.upgrade_backup}")
    app = TkanbanApp(store, name, user, own_process=True, notices=notices, config=config,
                     poll_interval=2.0 if store.storage.network else 1.0,
                     sync_interval=sync_interval, tracking_uri=tracking_uri)
    app.read_first()
    app.run()
    return app.return_code or 0
