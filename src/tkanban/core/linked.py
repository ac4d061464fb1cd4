"""The runs linked to cards and the board's tracking URI, read without the ORM (``show``,
the card pane): a board with no runs pays nothing for them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tkanban.core.queries import board_id
from tkanban.core.store import Store


@dataclass(frozen=True)
class LinkInfo:
    """A run linked to a card, as the card pane and ``show`` list it."""

    card_id: int
    ref: str
    name: str
    status: str
    url: str
    metrics: dict[str, float]
    synced_at: float | None

    @property
    def source(self) -> str:
        return self.ref.split(":", 1)[0]

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "source": self.source, "name": self.name,
                "status": self.status.lower(), "url": self.url, "metrics": self.metrics,
                "synced": self.synced_at is not None}


def tracking_key(board: str) -> str:
    return f"tracking_uri:{board}"


def board_tracking_uri(store: Store, board: str) -> str | None:
    with store.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?",
                           (tracking_key(board),)).fetchone()
    return row[0] if row else None


def links_of(store: Store, board: str | None, card_id: int | None = None) -> list[LinkInfo]:
    """The runs linked to the board's cards (to one card's, wherever it is, with ``card_id``
    and no board)."""
    with store.reading() as conn:
        sql = ("SELECT l.card_id, l.ref, l.name, l.status, l.url, l.seen, l.synced_at FROM "
               "run_link l JOIN card c ON c.id = l.card_id WHERE 1 = 1")
        args: list[Any] = []
        if board is not None:
            sql += " AND c.board_id = ?"
            args.append(board_id(conn, board))
        if card_id is not None:
            sql += " AND l.card_id = ?"
            args.append(card_id)
        rows = conn.execute(sql + " ORDER BY l.card_id, l.at, l.ref", args).fetchall()
    return [LinkInfo(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6])
            for r in rows]
