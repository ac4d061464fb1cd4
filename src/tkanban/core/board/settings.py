"""A board's own settings, kept in the board for its whole team (``tkanban config NAME
VALUE``): where its experiment tracker is, how often open boards sync it. Reading one is a
query (``reads.board_setting``); keeping one is this short write."""

from __future__ import annotations

from tkanban.core.board.reads import setting_key
from tkanban.core.board.transaction import board_id_in
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Meta


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
