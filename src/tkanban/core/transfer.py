"""Export and import: a lossless JSON backup and a readable Markdown report."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert, text
from sqlmodel import SQLModel, col, select

from tkanban import __version__
from tkanban.core.errors import ValidationError
from tkanban.core.models import Board, Card, Lane, LogEntry, Mention, Phase
from tkanban.core.queries import get_card, list_cards
from tkanban.core.store import SCHEMA_VERSION, Store, find_mentions
from tkanban.core.timebox import format_duration, local_time

FORMAT = "tkanban-export"
FORMAT_VERSION = 1


def _row(obj: SQLModel, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in obj.model_dump().items() if k not in drop}


def export_json(store: Store, boards: list[str] | None = None) -> dict[str, Any]:
    """Every row of the named boards (all by default), exactly as stored."""
    with store.read() as session:
        query = select(Board).order_by(col(Board.id))
        if boards is not None:
            query = query.where(col(Board.name).in_(boards))
        rows = session.exec(query).all()
        found = {b.name for b in rows}
        missing = [b for b in boards or [] if b not in found]
        if missing:
            raise ValidationError(f"no board named {missing[0]!r} in this file")
        out = []
        for board in rows:
            cards = session.exec(
                select(Card).where(Card.board_id == board.id).order_by(col(Card.id))
            ).all()
            card_ids = [c.id for c in cards]
            entries = session.exec(
                select(LogEntry).where(col(LogEntry.card_id).in_(card_ids))
                .order_by(col(LogEntry.id))
            ).all()
            lanes = session.exec(
                select(Lane).where(Lane.board_id == board.id).order_by(col(Lane.position))
            ).all()
            phases = session.exec(
                select(Phase).where(Phase.board_id == board.id).order_by(col(Phase.id))
            ).all()
            out.append({
                "name": board.name,
                "created_at": board.created_at,
                "lanes": [_row(r, ("board_id",)) for r in lanes],
                "cards": [_row(r, ("board_id",)) for r in cards],
                "log": [_row(r) for r in entries],
                "phases": [_row(r, ("board_id",)) for r in phases],
            })
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "schema": SCHEMA_VERSION,
            "tkanban": __version__, "boards": out}


def import_json(store: Store, data: Any) -> dict[str, int]:
    """Load an export into this file, which must hold no cards yet. Returns counts."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError("not a tkanban export (no 'format': 'tkanban-export')")
    if data.get("format_version", 0) > FORMAT_VERSION:
        raise ValidationError("this export was written by a newer tkanban")
    boards = data.get("boards")
    if not isinstance(boards, list):
        raise ValidationError("a tkanban export lists its boards under 'boards'")
    counts = {"boards": 0, "cards": 0, "log": 0, "phases": 0}
    try:
        with store.write() as session:
            if session.exec(select(func.count()).select_from(Card)).one():
                raise ValidationError(
                    "import goes into a new board file, and this one already has cards; "
                    "give another file with --db NEW.db"
                )
            for board_data in boards:
                name = board_data["name"]
                old = session.exec(select(Board).where(Board.name == name)).first()
                if old is not None:
                    session.execute(delete(Phase).where(col(Phase.board_id) == old.id))
                    session.execute(delete(Lane).where(col(Lane.board_id) == old.id))
                    session.delete(old)
                    session.flush()
                board = Board(name=name, created_at=board_data["created_at"])
                session.add(board)
                session.flush()
                for lane in board_data["lanes"]:
                    session.add(Lane(board_id=board.id, **lane))
                session.flush()
                cards = [{**card, "board_id": board.id} for card in board_data["cards"]]
                if cards:
                    session.execute(insert(Card), cards)
                counts["cards"] += len(cards)
                entries = board_data["log"]
                if entries:
                    session.execute(insert(LogEntry), entries)
                mentions = [{"entry_id": e["id"], "user": user} for e in entries
                            for user in find_mentions(e.get("text", ""))]
                if mentions:
                    session.execute(insert(Mention), mentions)
                counts["log"] += len(entries)
                if "log_count" not in (cards[0] if cards else {"log_count": 0}):
                    session.execute(text(
                        "UPDATE card SET log_count = (SELECT count(*) FROM log_entry "
                        "WHERE log_entry.card_id = card.id) WHERE board_id = :board"),
                        {"board": board.id})
                for phase in board_data.get("phases", []):
                    session.add(Phase(board_id=board.id, **phase))
                    counts["phases"] += 1
                counts["boards"] += 1
                session.flush()
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"the export file is incomplete or malformed ({exc!r})") from None
    return counts


def export_markdown(store: Store, board: str, now: float) -> str:
    """A readable report of one board: lanes, cards, criteria, outcomes and research logs."""
    lines = [f"# Board {board}", ""]
    cards = list_cards(store, board)
    current = None
    for card in cards:
        if card.lane != current:
            current = card.lane
            lines += [f"## {card.lane}", ""]
        detail = get_card(store, card.id)
        lines.append(f"### #{card.id} {card.title}")
        lines.append("")
        facts = [f"- kind: {card.kind}", f"- author: {card.author}"]
        if card.assignee:
            facts.append(f"- assignee: @{card.assignee}")
        if card.criteria:
            facts.append(f"- exit criteria: {card.criteria}")
        if card.timebox_seconds:
            box = f"- time box: {format_duration(card.timebox_seconds)}"
            left = card.remaining(now)
            if left is not None:
                box += " (over)" if card.overdue(now) else ""
            facts.append(box)
        if card.outcome:
            facts.append(f"- outcome: **{card.outcome}**"
                         + (f": {card.conclusion}" if card.conclusion else ""))
        lines += facts
        if card.description:
            lines += ["", card.description]
        lines += ["", "Research log:", ""]
        for entry in detail.entries:
            metrics = ", ".join(f"{k}={v:g}" for k, v in entry.metrics.items())
            text = entry.text + (f" [{metrics}]" if metrics else "")
            lines.append(f"- {local_time(entry.at)} {entry.author} ({entry.kind}): {text}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
