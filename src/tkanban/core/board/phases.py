"""Phases: board-level time boxes ("PoC, 1w, continue if AUC > 0.80") closed by a go/stop
decision that stays on record."""

from __future__ import annotations

from sqlmodel import Session

from tkanban.core.board.reads import (
    PHASE_COLUMNS,
    list_phases,
    phase_info,
    phase_refs,
    running_phase,
    running_phase_in,
)
from tkanban.core.board.transaction import board_id_in
from tkanban.core.errors import ValidationError
from tkanban.core.events.changes import emit
from tkanban.core.model.records import PhaseInfo
from tkanban.core.model.text import LINE_MAX, TITLE_MAX, clean, clean_name
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Phase

__all__ = ["PhaseInfo", "end_phase", "list_phases", "phase_refs", "running_phase",
           "start_phase"]

DECISIONS = ("go", "stop")


def _info(row: Phase) -> PhaseInfo:
    return phase_info([getattr(row, name) for name in PHASE_COLUMNS])


def _running(session: Session, board_id: int) -> Phase | None:
    """The running phase's row, to change it (``queries.running_phase_in`` finds it)."""
    found = running_phase_in(Store.session_sql(session), board_id)
    return session.get(Phase, found.id) if found else None


def start_phase(store: Store, board: str, name: str, seconds: int, goal: str, *,
                author: str) -> PhaseInfo:
    """Start a phase; only one runs at a time."""
    name = clean(name, "phase name", max_len=TITLE_MAX, required=True)
    goal = clean(goal, "goal", max_len=LINE_MAX)
    author = clean_name(author)
    with store.write() as session:
        board_id = board_id_in(session, board)
        if (running := _running(session, board_id)) is not None:
            raise ValidationError(
                f"phase {running.name!r} is still running: end it first with "
                "'tkanban phase end --decision go|stop'"
            )
        row = Phase(board_id=board_id, name=name, goal=goal, timebox_seconds=seconds,
                    started_at=store.clock(), author=author)
        session.add(row)
        session.flush()
        info = _info(row)
        emit(session, board_id, "phase.started", author, row.started_at,
             {"phase": info.to_json()})
        return info


def end_phase(store: Store, board: str, decision: str, note: str = "", *,
              author: str) -> PhaseInfo:
    """End the running phase with a go/stop decision."""
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise ValidationError(f"bad decision {decision!r}: use go or stop", "decision")
    note = clean(note, "note", max_len=LINE_MAX)
    author = clean_name(author)
    with store.write() as session:
        row = _running(session, board_id_in(session, board))
        if row is None:
            raise ValidationError("no phase is running on this board")
        row.ended_at, row.decision, row.note, row.decided_by = (
            store.clock(), decision, note, author)
        session.flush()
        info = _info(row)
        emit(session, row.board_id, "phase.ended", author, row.ended_at,
             {"phase": info.to_json()})
        return info
