"""Operations on boards, lanes, cards and research logs: the functions both faces call.

Every function takes the ``Store`` first, runs one short transaction and returns plain records
(never live ORM objects), so callers in any thread can keep what they get. Writes go through
SQLModel here; reads live in ``reads``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlmodel import Session

from tkanban.core.board.reads import (
    ENTRY_COLUMNS,
    board_exists,
    board_id,
    entry_info,
    get_card,
    has_board,
    seen_key,
)
from tkanban.core.board.transaction import (
    append_log,
    arrived,
    board_id_in,
    card_events_now,
    card_for_write,
    card_info_in,
    card_now,
    card_row,
    close_gap,
    lane_count,
    lanes_in,
    next_seq,
    open_gap,
    touch,
    waiters_changed,
    wip_event,
)
from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.events.changes import SYSTEM
from tkanban.core.model.criteria import OUTCOMES, format_criteria, parse_criteria
from tkanban.core.model.evidence import against
from tkanban.core.model.records import (
    DEFAULT_BOARD,
    DONE,
    KINDS,
    LANES,
    TODO,
    CardInfo,
    EntryInfo,
    LaneInfo,
    needs_outcome,
    resolve_lane,
)
from tkanban.core.model.text import (
    LINE_MAX,
    LONG_TEXT_MAX,
    TITLE_MAX,
    clean,
    clean_labels,
    clean_name,
    find_mentions,
)
from tkanban.core.model.timebox import format_duration
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Board, Card, Lane, Meta

# --- checks --------------------------------------------------------------------------------------


def _clean_text_fields(title: str | None = None, description: str | None = None,
                       criteria: str | None = None, assignee: str | None = None,
                       kind: str | None = None,
                       labels: str | list[str] | tuple[str, ...] | None = None,
                       ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if labels is not None:
        out["labels"] = " ".join(clean_labels(labels))
    if title is not None:
        out["title"] = clean(title, "title", max_len=TITLE_MAX, required=True)
    if description is not None:
        out["description"] = clean(description, "description", max_len=LONG_TEXT_MAX,
                                   multiline=True)
    if criteria is not None:
        text = clean(criteria, "criteria", max_len=LINE_MAX)
        out["criteria"] = format_criteria(parse_criteria(text))
    if assignee is not None:
        stripped = assignee.strip().lstrip("@")
        out["assignee"] = clean_name(stripped, "assignee") if stripped else None
    if kind is not None:
        if kind not in KINDS:
            raise ValidationError(f"bad kind {kind!r}: use hypothesis or task", "kind")
        out["kind"] = kind
    return out


def _check_outcome(outcome: str | None, conclusion: str | None) -> tuple[str | None, str]:
    if outcome is not None:
        outcome = outcome.strip().lower()
        if outcome not in OUTCOMES:
            raise ValidationError(
                f"bad outcome {outcome!r}: use validated, invalidated or inconclusive", "outcome"
            )
    note = clean(conclusion or "", "conclusion", max_len=LINE_MAX)
    return outcome, note


# --- boards and lanes ----------------------------------------------------------------------------


def ensure_board(store: Store, name: str = DEFAULT_BOARD) -> None:
    """Create the board with the six default lanes if it does not exist yet."""
    name = clean_name(name, "board name")
    if board_exists(store, name):
        return
    if store.readonly:
        raise NotFoundError(f"no board named {name!r} in this read-only {store.noun}")
    with store.write() as session:
        if has_board(Store.session_sql(session), name):
            return
        board = Board(name=name, created_at=store.clock())
        session.add(board)
        session.flush()
        for i, (lane_name, slug) in enumerate(LANES):
            session.add(Lane(board_id=board.id or 0, name=lane_name, slug=slug, position=i))


def set_wip_limit(store: Store, board: str, lane: str | int, limit: int | None) -> LaneInfo:
    if limit is not None and not 1 <= limit <= 999:
        raise ValidationError("a WIP limit is a whole number from 1 to 999 (or none)", "limit")
    with store.write() as session:
        target = resolve_lane(lanes_in(session, board_id_in(session, board)), lane)
        row = session.get(Lane, target.id)
        assert row is not None
        row.wip_limit = limit
        next_seq(session)
        return replace(target, wip_limit=limit)


# --- cards ---------------------------------------------------------------------------------------


def add_card(
    store: Store,
    board: str,
    title: str,
    *,
    author: str,
    kind: str = "task",
    lane: str | int = TODO,
    description: str = "",
    criteria: str = "",
    timebox_seconds: int | None = None,
    assignee: str | None = None,
    labels: str | list[str] | tuple[str, ...] = (),
) -> CardInfo:
    """Create a card at the bottom of ``lane`` and log its creation."""
    fields = _clean_text_fields(title, description, criteria, assignee or "", kind, labels)
    if fields["kind"] == "task" and fields["criteria"]:
        raise ValidationError("only a hypothesis has exit criteria", "criteria")
    author = clean_name(author, "user name")
    with store.write() as session:
        bid = board_id_in(session, board)
        lanes = lanes_in(session, bid)
        target = resolve_lane(lanes, lane)
        if needs_outcome(fields["kind"], None, None, target.slug):
            raise ValidationError("a new hypothesis cannot start in Done: it has no outcome yet")
        now = store.clock()
        card = Card(
            board_id=bid, lane_id=target.id, author=author, position=lane_count(session,
            target.id), timebox_seconds=timebox_seconds, created_at=now, updated_at=now,
            clock_start=None if target.slug == TODO else now,
            clock_stop=now if target.slug == DONE else None,
            changed_seq=next_seq(session), **fields,
        )
        session.add(card)
        session.flush()
        append_log(session, card, author, now, "create", f"created in {target.name}",
             {"lane": target.slug})
        wip_event(session, card, target, author, now)
        return card_info_in(session, card, {lane.id: lane for lane in lanes})


def edit_card(
    store: Store,
    card_id: int,
    *,
    author: str,
    expected_version: int | None = None,
    title: str | None = None,
    description: str | None = None,
    criteria: str | None = None,
    assignee: str | None = None,
    kind: str | None = None,
    labels: str | list[str] | tuple[str, ...] | None = None,
) -> CardInfo:
    """Change a card's text fields (and labels); refused if it changed since
    ``expected_version``."""
    fields = _clean_text_fields(title, description, criteria, assignee, kind, labels)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        changed = [name for name, value in fields.items() if getattr(card, name) != value]
        new_kind = fields.get("kind", card.kind)
        if new_kind == "task" and fields.get("criteria", card.criteria):
            raise ValidationError("only a hypothesis has exit criteria", "criteria")
        if changed:
            for name in changed:
                setattr(card, name, fields[name])
            now = store.clock()
            touch(session, card, now)
            append_log(session, card, author, now, "edit", "edited " + ", ".join(changed),
                 {"fields": changed})
        return card_now(session, card)


def move_card(
    store: Store,
    card_id: int,
    lane: str | int | None,
    *,
    author: str,
    position: int | None = None,
    outcome: str | None = None,
    conclusion: str | None = None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> CardInfo:
    """Move a card to ``lane`` at ``position``: by default the top, where the mover sees it;
    in Done the end, since Done shows its most recent cards first (and a move into a lane of
    thousands of done cards then shifts none of them).

    ``lane=None`` keeps the card in its lane (a reorder).

    A hypothesis enters Done only with an outcome (given here or recorded before; against its
    evidence only with a ``reason``): from any lane, in one move. The clock
    starts when the card first leaves To do and stops when it enters Done.
    """
    outcome, note = _check_outcome(outcome, conclusion)
    author = clean_name(author, "user name")
    why = outcome_reason(store, card_id, outcome, reason) if outcome is not None else ""
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        lanes = lanes_in(session, card.board_id)
        by_id = {lane.id: lane for lane in lanes}
        source = by_id[card.lane_id]
        target = source if lane is None else resolve_lane(lanes, lane)
        now = store.clock()
        if outcome is not None and card.kind != "hypothesis":
            raise ValidationError("only a hypothesis has an outcome; tasks need none", "outcome")
        if needs_outcome(card.kind, outcome or card.outcome, source.slug, target.slug):
            raise ValidationError(
                f"card #{card_id} is a hypothesis: it needs an outcome to enter Done "
                "(validated, invalidated or inconclusive)",
                "outcome",
            )
        if outcome is not None:
            _record_outcome(session, card, outcome, note, author, now, why)
        same_lane = target.id == source.id
        old_position = card.position
        close_gap(session, source.id, old_position)
        count = lane_count(session, target.id) - (1 if same_lane else 0)
        if position is None:
            position = old_position if same_lane else (count if target.slug == DONE else 0)
        position = max(0, min(position, count))
        open_gap(session, target.id, position)
        card.lane_id, card.position = target.id, position
        if not same_lane:
            if target.slug != TODO and card.clock_start is None:
                card.clock_start = now
            if target.slug == DONE:
                card.clock_stop = now
            elif source.slug == DONE:
                card.clock_stop = None
            arrived(session, card, source, target, author, now,
                     f"moved from {source.name} to {target.name}")
        touch(session, card, now)
        session.flush()
        return card_info_in(session, card, by_id)


def reorder_card(store: Store, card_id: int, position: int, *, author: str,
                 expected_version: int | None = None) -> CardInfo:
    """Put a card at ``position`` (0 = top) inside its lane."""
    return move_card(store, card_id, None, author=author, position=position,
                     expected_version=expected_version)


def archive_card(store: Store, card_id: int, *, author: str,
                 expected_version: int | None = None) -> CardInfo:
    """Take a card off the board; it stays in the file with its log."""
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        close_gap(session, card.lane_id, card.position)
        card.archived = True
        now = store.clock()
        touch(session, card, now)
        waiters_changed(session, card)
        append_log(session, card, author, now, "archive", "archived")
        session.flush()
        return card_now(session, card)


def add_log(store: Store, card_id: int, text: str, *, author: str,
            metrics: dict[str, float] | None = None) -> EntryInfo:
    """Append a research-log entry; ``@name`` in the text mentions a teammate."""
    text = clean(text, "log entry", max_len=LONG_TEXT_MAX, multiline=True)
    if not text and not metrics:
        raise ValidationError("a log entry needs text or a metric", "text")
    author = clean_name(author, "user name")
    for name in metrics or {}:
        clean(name, "metric name", max_len=64, required=True)
    with store.write() as session:
        card = card_row(session, card_id, for_update=True)
        now = store.clock()
        entry = append_log(session, card, author, now, "note", text, metrics=metrics)
        card.updated_at = now
        return entry_info([getattr(entry, name) for name in ENTRY_COLUMNS],
                          find_mentions(entry.text))


def set_timebox(store: Store, card_id: int, seconds: int, *, author: str,
                reason: str = "", expected_version: int | None = None) -> CardInfo:
    """Set a card's time box, or extend it: a change to a running box needs a reason."""
    reason = clean(reason, "reason", max_len=LINE_MAX)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        running = card.timebox_seconds and card.clock_start is not None
        if running and not reason:
            raise ValidationError(
                "this card's time box is running: say why it changes (a reason goes in the log)",
                "reason",
            )
        old = card.timebox_seconds
        card.timebox_seconds = seconds
        now = store.clock()
        touch(session, card, now)
        kind = "extend" if running and old and seconds > old else "timebox"
        text = f"time box {format_duration(old)} → {format_duration(seconds)}"
        if reason:
            text += f": {reason}"
        append_log(session, card, author, now, kind, text, {"from": old, "to": seconds,
                                                      "reason": reason})
        session.flush()
        return card_now(session, card)


def _record_outcome(session: Session, card: Card, outcome: str, note: str, author: str,
                    now: float, reason: str = "") -> None:
    card.outcome, card.conclusion = outcome, note
    text = outcome + (f": {note}" if note else "")
    text += f" (against the evidence: {reason})" if reason else ""
    append_log(session, card, author, now, "outcome", text,
               {"outcome": outcome, "conclusion": note}
               | ({"against_evidence": reason} if reason else {}))


def outcome_reason(store: Store, card_id: int, outcome: str | None,
                   reason: str | None) -> str:
    """The reason an outcome is recorded against the card's evidence (validated while a
    criterion is not met, invalidated while all are), cleaned; refused without one. Empty
    when the outcome agrees with the evidence (a reason given anyway is kept)."""
    reason = clean(reason or "", "reason", max_len=LINE_MAX)
    if outcome not in ("validated", "invalidated"):
        return reason
    detail = get_card(store, card_id)
    if detail.card.kind != "hypothesis" or not against(outcome, detail.verdicts()):
        return reason
    if not reason:
        shown = "; ".join(
            f"{v.criterion} {'met' if v.met else 'not met'}"
            + (f" ({v.value:g}, {v.point.where()})" if v.point is not None else "")
            for v in detail.verdicts())
        raise ValidationError(f"#{card_id}'s evidence does not bear out {outcome!r} ({shown}): "
                              "say why with a reason", "reason")
    return reason


def set_outcome(store: Store, card_id: int, outcome: str, conclusion: str = "", *, author: str,
                expected_version: int | None = None, reason: str | None = None) -> CardInfo:
    """Record a hypothesis's outcome: validated, invalidated or inconclusive (against its
    evidence only with a ``reason``: ``outcome_reason``)."""
    checked, note = _check_outcome(outcome, conclusion)
    assert checked is not None
    author = clean_name(author, "user name")
    why = outcome_reason(store, card_id, checked, reason)
    with store.write() as session:
        card = card_for_write(session, card_id, expected_version)
        if card.kind != "hypothesis":
            raise ValidationError("only a hypothesis has an outcome; tasks need none", "outcome")
        now = store.clock()
        _record_outcome(session, card, checked, note, author, now, why)
        touch(session, card, now)
        session.flush()
        return card_now(session, card)


def mark_mentions_seen(store: Store, user: str, entry_id: int) -> None:
    """Remember that ``user`` has seen every mention up to ``entry_id``."""
    with store.write() as session:
        row = session.get(Meta, seen_key(user))
        if row is None:
            session.add(Meta(key=seen_key(user), value=str(entry_id)))
        elif int(row.value) < entry_id:
            row.value = str(entry_id)




def expire_due(store: Store, board: str) -> int:
    """Write a ``timebox.expired`` event for each running box that ran out and has none yet
    (once per box: a box extended later runs out again, with an event of its own). Returns
    how many were written."""
    now = store.clock()
    with store.reading() as conn:
        bid = board_id(conn, board)
        due = conn.execute(
            "SELECT id, clock_start + timebox_seconds FROM card WHERE board_id = ? AND "
            "archived = ? AND clock_start IS NOT NULL AND clock_stop IS NULL AND "
            "timebox_seconds IS NOT NULL AND clock_start + timebox_seconds <= ?",
            (bid, False, now)).fetchall()
        if not due:
            return 0
        keys = {f"timebox.expired:{cid}:{deadline:.0f}": cid for cid, deadline in due}
        marks = ", ".join("?" for _ in keys)
        seen = {k for (k,) in conn.execute(f"SELECT once FROM event WHERE once IN ({marks})",
                                           list(keys))}
    todo = {k: cid for k, cid in keys.items() if k not in seen}
    if not todo:
        return 0
    return card_events_now(store, todo, "timebox.expired", SYSTEM)
