"""Phases: board-level time boxes ("PoC, 1w, continue if AUC > 0.80") closed by a go/stop
decision that stays on record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from tkanban.core.board import _board_id
from tkanban.core.errors import ValidationError
from tkanban.core.models import Phase
from tkanban.core.retro import PhaseRef
from tkanban.core.store import Store
from tkanban.core.text import LINE_MAX, TITLE_MAX, clean, clean_name
from tkanban.core.timebox import iso

DECISIONS = ("go", "stop")


@dataclass(frozen=True)
class PhaseInfo:
    id: int
    name: str
    goal: str
    timebox_seconds: int
    started_at: float
    ended_at: float | None
    decision: str | None
    note: str
    author: str
    decided_by: str | None

    @property
    def deadline(self) -> float:
        return self.started_at + self.timebox_seconds

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "goal": self.goal,
            "timebox_seconds": self.timebox_seconds, "started": iso(self.started_at),
            "deadline": iso(self.deadline), "ended": iso(self.ended_at),
            "decision": self.decision, "note": self.note, "author": self.author,
            "decided_by": self.decided_by,
        }


def _info(row: Phase) -> PhaseInfo:
    return PhaseInfo(row.id or 0, row.name, row.goal, row.timebox_seconds, row.started_at,
                     row.ended_at, row.decision, row.note, row.author, row.decided_by)


def _running(session: Session, board_id: int) -> Phase | None:
    return session.exec(
        select(Phase).where(Phase.board_id == board_id, col(Phase.ended_at).is_(None))
    ).first()


def start_phase(store: Store, board: str, name: str, seconds: int, goal: str, *,
                author: str) -> PhaseInfo:
    """Start a phase; only one runs at a time."""
    name = clean(name, "phase name", max_len=TITLE_MAX, required=True)
    goal = clean(goal, "goal", max_len=LINE_MAX)
    author = clean_name(author)
    with store.write() as session:
        board_id = _board_id(session, board)
        if (running := _running(session, board_id)) is not None:
            raise ValidationError(
                f"phase {running.name!r} is still running: end it first with "
                "'tkanban phase end --decision go|stop'"
            )
        row = Phase(board_id=board_id, name=name, goal=goal, timebox_seconds=seconds,
                    started_at=store.clock(), author=author)
        session.add(row)
        session.flush()
        return _info(row)


def end_phase(store: Store, board: str, decision: str, note: str = "", *,
              author: str) -> PhaseInfo:
    """End the running phase with a go/stop decision."""
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise ValidationError(f"bad decision {decision!r}: use go or stop", "decision")
    note = clean(note, "note", max_len=LINE_MAX)
    author = clean_name(author)
    with store.write() as session:
        row = _running(session, _board_id(session, board))
        if row is None:
            raise ValidationError("no phase is running on this board")
        row.ended_at, row.decision, row.note, row.decided_by = (
            store.clock(), decision, note, author)
        session.flush()
        return _info(row)


def list_phases(store: Store, board: str) -> list[PhaseInfo]:
    with store.read() as session:
        rows = session.exec(
            select(Phase).where(Phase.board_id == _board_id(session, board))
            .order_by(col(Phase.started_at), col(Phase.id))
        ).all()
        return [_info(r) for r in rows]


def running_phase(store: Store, board: str) -> PhaseInfo | None:
    with store.read() as session:
        row = _running(session, _board_id(session, board))
        return _info(row) if row else None


def phase_refs(store: Store, board: str) -> list[PhaseRef]:
    """Phases as the retro reads them."""
    return [PhaseRef(p.name, p.goal, p.ended_at, p.decision, p.note, p.decided_by)
            for p in list_phases(store, board)]
