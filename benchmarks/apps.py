"""The real board, as the benchmark runs it."""

from __future__ import annotations

from pathlib import Path

from tkanban.core.board.cards import ensure_board
from tkanban.core.storage import open_store
from tkanban.tui.app import TkanbanApp


def board_app(db: Path, poll_interval: float = 1.0) -> TkanbanApp:
    store = open_store(db)
    ensure_board(store)
    return TkanbanApp(store, "main", "bench", poll_interval=poll_interval)
