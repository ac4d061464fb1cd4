"""A board's own settings, kept in the board for its whole team (``tkanban config NAME
VALUE``): where its experiment tracker is, how often open boards sync it. Read without the ORM
(the open board asks at start); written in a short write."""

from __future__ import annotations

from tkanban.core.board.transaction import board_id_in
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Meta


def setting_key(board: str, name: str) -> str:
    """The ``meta`` row that keeps setting ``name`` of ``board``."""
    return f"{name}:{board}"


def board_setting(store: Store, board: str, name: str) -> str | None:
    """The board's setting ``name``, if it keeps one."""
    with store.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?",
                           (setting_key(board, name),)).fetchone()
    return row[0] if row else None


def set_board_setting(store: Store, board: str, name: str, value: str | None) -> None:
    """Keep a setting for the board's whole team (None forgets it)."""
    with store.write() as session:
        board_id_in(session, board)
        row = session.get(Meta, setting_key(board, name))
        if value is None and row is not None:
            session.delete(row)
        elif value is not None:
            if row is None:
                session.add(Meta(key=setting_key(board, name), value=value))
            else:
                row.value = value
