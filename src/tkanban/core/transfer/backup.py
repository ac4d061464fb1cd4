"""The lossless JSON backup: every row of a board exported as stored, and imported back only
whole and only after the export format (``format``) has checked every record."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, SQLModel, col, select

from tkanban import __version__
from tkanban.core.board.reads import setting_key
from tkanban.core.errors import ValidationError
from tkanban.core.model.records import TRACKER_KINDS
from tkanban.core.model.text import find_mentions, json_safe
from tkanban.core.storage.base import Store
from tkanban.core.storage.schema import SCHEMA_VERSION
from tkanban.core.storage.tables import (
    Board,
    Card,
    Lane,
    LogEntry,
    Mention,
    Meta,
    Phase,
    Relation,
    RunLink,
)
from tkanban.core.transfer.format import (
    FORMAT,
    FORMAT_VERSION,
    SETTINGS,
    Export,
    parse_export,
)


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
            raise ValidationError(f"no board named {missing[0]!r} in this {store.noun}")
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
            relations = session.exec(
                select(Relation).where(col(Relation.from_id).in_(card_ids))
                .order_by(col(Relation.from_id), col(Relation.kind), col(Relation.to_id))
            ).all()
            runs = session.exec(
                select(RunLink).where(col(RunLink.card_id).in_(card_ids))
                .order_by(col(RunLink.card_id), col(RunLink.ref))
            ).all()
            settings = {name: row.value for name in sorted(SETTINGS)
                        if (row := session.get(Meta, setting_key(board.name, name)))}
            out.append({
                "settings": settings,
                "name": board.name,
                "created_at": board.created_at,
                "lanes": [_row(r, ("board_id",)) for r in lanes],
                "cards": [_row(r, ("board_id",)) for r in cards],
                "log": [_row(r) for r in entries],
                "phases": [_row(r, ("board_id",)) for r in phases],
                "relations": [_row(r) for r in relations],
                "runs": [_row(r) for r in runs],
            })
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "schema": SCHEMA_VERSION,
            "tkanban": __version__, "boards": out}


def import_json(store: Store, data: Any) -> dict[str, int]:
    """Load an export into this file, which must hold no cards yet. Returns counts.

    The whole export is checked first (``exchange.parse_export``; pass its result to skip
    that) and written in one transaction: all of it or, on any problem or interruption,
    nothing."""
    export = data if isinstance(data, Export) else parse_export(data)
    counts = {"boards": 0, "cards": 0, "log": 0, "phases": 0, "relations": 0}
    with store.write() as session:
        if session.exec(select(func.count()).select_from(Card)).one():
            raise ValidationError(
                "import goes into a new board file or database, and this one already has cards; "
                "give another with --db NEW.db"
            )
        replaced = [b.id or 0 for b in session.exec(
            select(Board).where(col(Board.name).in_([b.name for b in export.boards]))).all()]
        _check_free_ids(session, export, replaced, store.noun)
        for board_id in replaced:
            session.execute(delete(Phase).where(col(Phase.board_id) == board_id))
            session.execute(delete(Lane).where(col(Lane.board_id) == board_id))
            session.execute(delete(Board).where(col(Board.id) == board_id))
        top_seq = 0
        for record in export.boards:
            board = Board(name=record.name, created_at=record.created_at)
            session.add(board)
            session.flush()
            session.execute(insert(Lane), [{**lane.model_dump(), "board_id": board.id}
                                           for lane in record.lanes])
            counted: dict[int, int] = {}
            for entry in record.log:
                counted[entry.card_id] = counted.get(entry.card_id, 0) + 1
            # the log count is derived: counted here, whatever the file says
            cards = [{**card.model_dump(), "board_id": board.id,
                      "log_count": counted.get(card.id, 0)} for card in record.cards]
            if cards:
                session.execute(insert(Card), cards)
                top_seq = max(top_seq, *(card.changed_seq for card in record.cards))
            entries = [entry.model_dump() for entry in record.log]
            if entries:
                session.execute(insert(LogEntry), entries)
            mentions = [{"entry_id": e.id, "user": user} for e in record.log
                        if e.kind not in TRACKER_KINDS for user in find_mentions(e.text)]
            if mentions:
                session.execute(insert(Mention), mentions)
            if record.relations:
                session.execute(insert(Relation), [rel.model_dump() for rel in record.relations])
            if record.runs:
                session.execute(insert(RunLink), [run.model_dump() for run in record.runs])
            for name, value in record.settings.items():
                key = setting_key(record.name, name)
                row = session.get(Meta, key)
                if row is None:
                    session.add(Meta(key=key, value=value))
                else:
                    row.value = value
            if record.phases:
                session.execute(insert(Phase), [{**phase.model_dump(), "board_id": board.id}
                                                for phase in record.phases])
            counts["boards"] += 1
            counts["cards"] += len(cards)
            counts["log"] += len(entries)
            counts["phases"] += len(record.phases)
            counts["relations"] += len(record.relations)
        seq = session.get(Meta, "change_seq")
        if seq is not None and int(seq.value) < top_seq:
            seq.value = str(top_seq)
        session.flush()
        store.ids_given(session)
    return counts


def _check_free_ids(session: Session, export: Export, replaced: list[int],
                    noun: str) -> None:
    """Lanes and phases keep their ids: none may belong to another board of this file."""
    for b, record in enumerate(export.boards):
        for field, model, ids in (("lanes", Lane, [row.id for row in record.lanes]),
                                  ("phases", Phase, [row.id for row in record.phases])):
            taken = set(session.exec(select(model.id).where(
                col(model.id).in_(ids), col(model.board_id).not_in(replaced))).all())
            for i, row_id in enumerate(ids):
                if row_id in taken:
                    raise ValidationError(
                        f"boards[{b}].{field}[{i}].id: {row_id} is taken by another board in "
                        f"this {noun}; import into a new {noun} with --db NEW")


def dump(data: Any) -> str:
    return json_safe(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)) + "\n"
