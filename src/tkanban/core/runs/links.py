"""The runs linked to cards and the board's tracking URI, read without the ORM (``show``,
the card pane): a board with no runs pays nothing for them."""

from __future__ import annotations

from typing import Any

from tkanban.core.board.reads import board_id, board_setting, get_card, link_info
from tkanban.core.model.evidence import all_met
from tkanban.core.model.records import LinkInfo
from tkanban.core.storage.base import Store


def board_tracking_uri(store: Store, board: str) -> str | None:
    """The MLflow tracking URI the board keeps for its team, if any."""
    return board_setting(store, board, "tracking_uri")


def criteria_met(store: Store, card_id: int) -> bool:
    """Whether the card's evidence meets every exit criterion (a card without criteria: no)."""
    return all_met(get_card(store, card_id).verdicts())


def links_of(store: Store, board: str | None, card_id: int | None = None) -> list[LinkInfo]:
    """The runs linked to the board's cards (to one card's, wherever it is, with ``card_id``
    and no board)."""
    with store.reading() as conn:
        sql = ("SELECT l.card_id, l.ref, l.name, l.status, l.url, l.seen, l.synced_at, l.pinned, "
               "l.detail FROM run_link l JOIN card c ON c.id = l.card_id WHERE 1 = 1")
        args: list[Any] = []
        if board is not None:
            sql += " AND c.board_id = ?"
            args.append(board_id(conn, board))
        if card_id is not None:
            sql += " AND l.card_id = ?"
            args.append(card_id)
        rows = conn.execute(sql + " ORDER BY l.card_id, l.at, l.ref", args).fetchall()
    return [link_info(r) for r in rows]


def criteria_metrics(store: Store, card_ids: list[int]) -> dict[int, set[str]]:
    """The metric names each card's exit criteria name (a run with too many metrics keeps
    these first)."""
    from tkanban.core.errors import ValidationError
    from tkanban.core.model.criteria import parse_criteria

    if not card_ids:
        return {}
    marks = ", ".join("?" * len(card_ids))
    with store.reading() as conn:
        rows = conn.execute(f"SELECT id, criteria FROM card WHERE id IN ({marks})",
                            card_ids).fetchall()
    found: dict[int, set[str]] = {}
    for card_id, text in rows:
        try:
            found[card_id] = {c.metric for c in parse_criteria(text or "")}
        except ValidationError:
            found[card_id] = set()
    return found
