"""Taking a change back, as a new change: written like any other (every open board sees it),
logged (the log stays append-only and says who undid what), and refused when someone else
changed the card since (``expected_version``), saying who and what.

``CardState`` is what a card looked like around a change; putting a card back into a state
undoes a move, a reorder or an outcome, and putting it forward again redoes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tkanban.core.board.transaction import (
    append_log,
    arrived,
    card_for_write,
    card_info_in,
    card_now,
    card_row,
    check_version,
    close_gap,
    lane_count,
    lanes_in,
    open_gap,
    touch,
    waiters_changed,
    wip_event,
)
from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.model.records import CardInfo, resolve_lane
from tkanban.core.model.text import clean_name
from tkanban.core.model.timebox import format_duration
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Card, LogEntry


@dataclass(frozen=True)
class CardState:
    """Where a card is and how it stands: what a move, a reorder or an outcome changes."""

    lane: str
    position: int
    outcome: str | None
    conclusion: str
    clock_start: float | None
    clock_stop: float | None

    @classmethod
    def of(cls, card: CardInfo) -> CardState:
        return cls(card.lane_slug, card.position, card.outcome, card.conclusion,
                   card.clock_start, card.clock_stop)


def put_card(store: Store, card_id: int, state: CardState, *, author: str,
             expected_version: int | None, why: str = "undo") -> CardInfo:
    """Put a card into ``state`` (its lane, place, outcome and clock), in one transaction."""
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        lanes = lanes_in(session, card.board_id)
        by_id = {lane.id: lane for lane in lanes}
        source, target = by_id[card.lane_id], resolve_lane(lanes, state.lane)
        now = store.clock()
        close_gap(session, source.id, card.position)
        count = lane_count(session, target.id) - (1 if target.id == source.id else 0)
        position = max(0, min(state.position, count))
        open_gap(session, target.id, position)
        card.lane_id, card.position = target.id, position
        if target.id != source.id:
            arrived(session, card, source, target, author, now,
                     f"moved back from {source.name} to {target.name} ({why})")
        if (card.outcome, card.conclusion) != (state.outcome, state.conclusion):
            text = (f"{state.outcome}" + (f": {state.conclusion}" if state.conclusion else "")
                    if state.outcome else "outcome withdrawn") + f" ({why})"
            append_log(session, card, author, now, "outcome", text,
                 {"outcome": state.outcome, "conclusion": state.conclusion})
        card.outcome, card.conclusion = state.outcome, state.conclusion
        card.clock_start, card.clock_stop = state.clock_start, state.clock_stop
        touch(session, card, now)
        session.flush()
        return card_info_in(session, card, by_id)


def put_timebox(store: Store, card_id: int, seconds: int | None, *, author: str,
                expected_version: int | None, why: str = "undo") -> CardInfo:
    """Set a card's time box back (``None``: no box), logged, with no reason asked."""
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        old, card.timebox_seconds = card.timebox_seconds, seconds
        now = store.clock()
        touch(session, card, now)
        append_log(session, card, author, now, "timebox",
             f"time box {format_duration(old)} → {format_duration(seconds)} ({why})",
             {"from": old, "to": seconds, "reason": why})
        session.flush()
        return card_now(session, card)


def strike_entry(store: Store, entry_id: int, *, struck: bool, author: str) -> CardInfo:
    """Strike a research-log entry through (``struck``) or bring it back: never deleted, and
    the strike is an entry of its own saying who did it. A struck entry's metrics no longer
    count for the criteria."""
    author = clean_name(author, "user name")
    with store.write() as session:
        entry = session.get(LogEntry, entry_id)
        if entry is None:
            raise NotFoundError(f"no log entry #{entry_id}")
        if entry.kind != "note":
            raise ValidationError("only a research-log entry can be struck through")
        card = card_row(session, entry.card_id, for_update=True)
        now = store.clock()
        append_log(session, card, author, now, "strike",
             f"{'struck through' if struck else 'brought back'} entry #{entry_id}",
             {"entry": entry_id, "struck": struck})
        touch(session, card, now)
        session.flush()
        return card_now(session, card)


def restore_card(store: Store, card_id: int, *, author: str,
                 expected_version: int | None = None) -> CardInfo:
    """Put an archived card back on the board: on top of the lane it left."""
    author = clean_name(author, "user name")
    with store.write() as session:
        card = session.get(Card, card_id)
        if card is None:
            raise NotFoundError(f"no card #{card_id}")
        check_version(session, card, expected_version)
        if not card.archived:
            raise ValidationError(f"card #{card_id} is on the board, not archived")
        open_gap(session, card.lane_id, 0)
        card.archived, card.position = False, 0
        now = store.clock()
        touch(session, card, now)
        waiters_changed(session, card)
        lanes = {lane.id: lane for lane in lanes_in(session, card.board_id)}
        append_log(session, card, author, now, "restore", f"restored to {lanes[card.lane_id].name}")
        wip_event(session, card, lanes[card.lane_id], author, now)
        session.flush()
        return card_info_in(session, card, lanes)
