"""Operations on boards, lanes, cards and research logs: the functions both faces call.

Every function takes the ``Store`` first, runs one short transaction and returns plain
dataclasses (never live ORM objects), so callers in any thread can keep what they get.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from tkanban.core.errors import ConflictError, NotFoundError, ValidationError
from tkanban.core.hypothesis import (
    OUTCOMES,
    Criterion,
    CriterionStatus,
    evaluate,
    format_criteria,
    parse_criteria,
)
from tkanban.core.models import (
    DONE,
    KINDS,
    LANES,
    TODO,
    Board,
    Card,
    Lane,
    LogEntry,
    Mention,
    Meta,
)
from tkanban.core.retro import CardHistory, LaneRef
from tkanban.core.store import Store, dumps, find_mentions
from tkanban.core.text import LINE_MAX, LONG_TEXT_MAX, TITLE_MAX, clean, clean_name
from tkanban.core.timebox import format_duration, iso

DEFAULT_BOARD = "main"


@dataclass(frozen=True)
class LaneInfo:
    id: int
    name: str
    slug: str
    number: int
    wip_limit: int | None


@dataclass(frozen=True)
class CardInfo:
    """A card as the faces show it; times are epoch seconds."""

    id: int
    title: str
    kind: str
    lane: str
    lane_slug: str
    lane_number: int
    position: int
    outcome: str | None
    conclusion: str
    description: str
    criteria: str
    timebox_seconds: int | None
    clock_start: float | None
    clock_stop: float | None
    author: str
    assignee: str | None
    archived: bool
    created_at: float
    updated_at: float
    version: int
    log_count: int = 0

    @property
    def deadline(self) -> float | None:
        if self.clock_start is None or not self.timebox_seconds:
            return None
        return self.clock_start + self.timebox_seconds

    def remaining(self, now: float) -> float | None:
        """Seconds left in the box (negative once over); None without a running box."""
        deadline = self.deadline
        if deadline is None:
            return None
        return deadline - (self.clock_stop if self.clock_stop is not None else now)

    def overdue(self, now: float) -> bool:
        left = self.remaining(now)
        return left is not None and left < 0 and self.clock_stop is None

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "lane": self.lane,
            "lane_slug": self.lane_slug,
            "position": self.position,
            "outcome": self.outcome,
            "conclusion": self.conclusion,
            "description": self.description,
            "criteria": self.criteria,
            "timebox_seconds": self.timebox_seconds,
            "clock_start": iso(self.clock_start),
            "clock_stop": iso(self.clock_stop),
            "deadline": iso(self.deadline),
            "overdue": self.overdue(now),
            "author": self.author,
            "assignee": self.assignee,
            "archived": self.archived,
            "created": iso(self.created_at),
            "updated": iso(self.updated_at),
            "version": self.version,
            "log_count": self.log_count,
        }


@dataclass(frozen=True)
class EntryInfo:
    id: int
    card_id: int
    author: str
    at: float
    kind: str
    text: str
    data: dict[str, Any]
    metrics: dict[str, float]
    mentions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "author": self.author,
            "at": iso(self.at),
            "kind": self.kind,
            "text": self.text,
            "data": self.data,
            "metrics": self.metrics,
            "mentions": self.mentions,
        }


@dataclass(frozen=True)
class CardDetail:
    card: CardInfo
    entries: list[EntryInfo]

    @property
    def latest_metrics(self) -> dict[str, float]:
        latest: dict[str, float] = {}
        for entry in self.entries:
            latest.update(entry.metrics)
        return latest

    @property
    def criteria(self) -> list[Criterion]:
        return parse_criteria(self.card.criteria)

    def criteria_status(self) -> list[CriterionStatus]:
        return evaluate(self.criteria, self.latest_metrics)

    @property
    def moves(self) -> list[EntryInfo]:
        return [e for e in self.entries if e.kind == "move"]


@dataclass(frozen=True)
class LaneCards:
    lane: LaneInfo
    cards: list[CardInfo]
    total: int = -1
    """Live cards in the lane; more than ``len(cards)`` when Done is cut short."""

    @property
    def count(self) -> int:
        return len(self.cards) if self.total < 0 else self.total


@dataclass(frozen=True)
class BoardSnapshot:
    """Everything the board view shows."""

    board: str
    lanes: list[LaneCards]
    seq: int = 0
    """The file's change number when read (see ``changes_since``)."""

    def replace_lanes(self, fresh: dict[str, LaneCards], lanes: list[LaneInfo],
                      seq: int) -> BoardSnapshot:
        """This snapshot with some lanes re-read and every lane's facts (name, limit) fresh."""
        out = []
        for old, info in zip(self.lanes, lanes, strict=True):
            new = fresh.get(info.slug)
            out.append(new if new is not None else replace(old, lane=info))
        return BoardSnapshot(self.board, out, seq)

    def with_move(self, card_id: int, lane_index: int, index: int) -> BoardSnapshot | None:
        """This snapshot with a card shown at ``index`` of lane ``lane_index``: what a move
        will look like, drawn before the file has it (None if the card is not here)."""
        where = self.find(card_id)
        if where is None or not 0 <= lane_index < len(self.lanes):
            return None
        li, ci = where
        lanes = list(self.lanes)
        source, target = lanes[li], lanes[lane_index]
        card = source.cards[ci]
        rest = source.cards[:ci] + source.cards[ci + 1:]
        same = li == lane_index
        cards = rest if same else list(target.cards)
        index = max(0, min(index, len(cards)))
        cards.insert(index, replace(card, lane=target.lane.name, lane_slug=target.lane.slug,
                                    lane_number=target.lane.number))
        if not same:
            lanes[li] = LaneCards(source.lane, rest, source.count - 1)
        lanes[lane_index] = LaneCards(target.lane, cards, target.count + (0 if same else 1))
        return BoardSnapshot(self.board, lanes, self.seq)

    def with_card(self, card: CardInfo) -> BoardSnapshot:
        """This snapshot with one card's facts replaced (same lane and place)."""
        where = self.find(card.id)
        if where is None:
            return self
        li, ci = where
        lanes = list(self.lanes)
        cards = list(lanes[li].cards)
        cards[ci] = card
        lanes[li] = LaneCards(lanes[li].lane, cards, lanes[li].total)
        return BoardSnapshot(self.board, lanes, self.seq)

    def position_of(self, lane_index: int, index: int) -> int:
        """The file's position for display ``index`` of a lane (Done shows the end first)."""
        lane = self.lanes[lane_index]
        return lane.count - 1 - index if lane.lane.slug == DONE else index

    def find(self, card_id: int) -> tuple[int, int] | None:
        """(lane index, card index) of a card, or None."""
        for li, lane in enumerate(self.lanes):
            for ci, card in enumerate(lane.cards):
                if card.id == card_id:
                    return li, ci
        return None


# --- helpers -------------------------------------------------------------------------------------


def _board_id(session: Session, name: str) -> int:
    board_id = session.exec(select(Board.id).where(Board.name == name)).first()
    if board_id is None:
        raise NotFoundError(f"no board named {name!r} in this file")
    return board_id


def _lanes(session: Session, board_id: int) -> list[LaneInfo]:
    rows = session.exec(
        select(Lane).where(Lane.board_id == board_id).order_by(col(Lane.position))
    ).all()
    return [LaneInfo(r.id or 0, r.name, r.slug, i + 1, r.wip_limit) for i, r in enumerate(rows)]


def resolve_lane(lanes: list[LaneInfo], spec: str | int) -> LaneInfo:
    """A lane by its number (1-based), slug or name (case-insensitive)."""
    text = str(spec).strip()
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(lanes):
            return lanes[number - 1]
    folded = text.casefold()
    for lane in lanes:
        if folded in (lane.slug.casefold(), lane.name.casefold()):
            return lane
    choices = ", ".join(f"{lane.number} {lane.slug}" for lane in lanes)
    raise ValidationError(f"no lane {text!r}; lanes are: {choices}", "lane")


def _info(card: Card, lanes: dict[int, LaneInfo]) -> CardInfo:
    lane = lanes[card.lane_id]
    return CardInfo(
        id=card.id or 0,
        title=card.title,
        kind=card.kind,
        lane=lane.name,
        lane_slug=lane.slug,
        lane_number=lane.number,
        position=card.position,
        outcome=card.outcome,
        conclusion=card.conclusion,
        description=card.description,
        criteria=card.criteria,
        timebox_seconds=card.timebox_seconds,
        clock_start=card.clock_start,
        clock_stop=card.clock_stop,
        author=card.author,
        assignee=card.assignee,
        archived=bool(card.archived),
        created_at=card.created_at,
        updated_at=card.updated_at,
        version=card.version,
        log_count=card.log_count,
    )


def _entry(row: LogEntry, mentions: list[str] | None = None) -> EntryInfo:
    return EntryInfo(
        id=row.id or 0,
        card_id=row.card_id,
        author=row.author,
        at=row.at,
        kind=row.kind,
        text=row.text,
        data=json.loads(row.data or "{}"),
        metrics=json.loads(row.metrics or "{}"),
        mentions=mentions if mentions is not None else find_mentions(row.text),
    )


def _card(session: Session, card_id: int, *, for_update: bool = False) -> Card:
    card = session.get(Card, card_id)
    if card is None or (for_update and card.archived):
        raise NotFoundError(f"no card #{card_id}" + (" (it is archived)" if card else ""))
    return card


def _check_version(session: Session, card: Card, expected: int | None) -> None:
    if expected is None or card.version == expected:
        return
    last = session.exec(
        select(LogEntry)
        .where(LogEntry.card_id == card.id)
        .order_by(col(LogEntry.id).desc())
        .limit(1)
    ).first()
    who = last.author if last else card.author
    what = _describe(last) if last else "changed it"
    raise ConflictError(
        f"card #{card.id} was changed by {who} since you opened it ({what})",
        card_id=card.id or 0,
        current_version=card.version,
        changed_by=who,
    )


def _describe(entry: LogEntry) -> str:
    data = json.loads(entry.data or "{}")
    if entry.kind == "move":
        return f"moved it from {data.get('from')} to {data.get('to')}"
    if entry.kind == "edit":
        return "edited " + ", ".join(data.get("fields", [])) if data.get("fields") else "edited it"
    if entry.kind == "note":
        return "added a log entry"
    return entry.text or entry.kind


def _log(session: Session, card: Card, author: str, at: float, kind: str, text: str = "",
         data: dict[str, Any] | None = None, metrics: dict[str, float] | None = None) -> LogEntry:
    entry = LogEntry(card_id=card.id or 0, author=author, at=at, kind=kind, text=text,
                     data=dumps(data or {}), metrics=dumps(metrics or {}))
    session.add(entry)
    session.flush()
    for user in find_mentions(text):
        session.add(Mention(entry_id=entry.id or 0, user=user))
    card.log_count += 1
    card.changed_seq = _next_seq(session)
    return entry


def _next_seq(session: Session) -> int:
    """This transaction's change number: one more than the file's last (see ``changes_since``)."""
    if "seq" not in session.info:
        row = session.get(Meta, "change_seq")
        if row is None:
            row = Meta(key="change_seq", value="0")
            session.add(row)
        row.value = str(int(row.value) + 1)
        session.info["seq"] = int(row.value)
    return int(session.info["seq"])


def _touch(session: Session, card: Card, now: float) -> None:
    card.updated_at = now
    card.version += 1
    card.changed_seq = _next_seq(session)


def _lane_count(session: Session, lane_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Card).where(Card.lane_id == lane_id,
                                                     col(Card.archived).is_(False))
    ).one()


def _close_gap(session: Session, lane_id: int, position: int) -> None:
    session.execute(
        update(Card)
        .where(col(Card.lane_id) == lane_id, col(Card.archived).is_(False),
               col(Card.position) > position)
        .values(position=Card.position - 1)
    )


def _open_gap(session: Session, lane_id: int, position: int) -> None:
    session.execute(
        update(Card)
        .where(col(Card.lane_id) == lane_id, col(Card.archived).is_(False),
               col(Card.position) >= position)
        .values(position=Card.position + 1)
    )


def _clean_text_fields(title: str | None = None, description: str | None = None,
                       criteria: str | None = None, assignee: str | None = None,
                       kind: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
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
    with store.read() as session:
        if session.exec(select(Board.id).where(Board.name == name)).first() is not None:
            return
    if store.readonly:
        raise NotFoundError(f"no board named {name!r} in this read-only file")
    with store.write() as session:
        if session.exec(select(Board.id).where(Board.name == name)).first() is not None:
            return
        board = Board(name=name, created_at=store.clock())
        session.add(board)
        session.flush()
        for i, (lane_name, slug) in enumerate(LANES):
            session.add(Lane(board_id=board.id or 0, name=lane_name, slug=slug, position=i))


def list_boards(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.exec(select(Board.name).order_by(col(Board.id))).all())


def get_lanes(store: Store, board: str = DEFAULT_BOARD) -> list[LaneInfo]:
    with store.read() as session:
        return _lanes(session, _board_id(session, board))


def set_wip_limit(store: Store, board: str, lane: str | int, limit: int | None) -> LaneInfo:
    if limit is not None and not 1 <= limit <= 999:
        raise ValidationError("a WIP limit is a whole number from 1 to 999 (or none)", "limit")
    with store.write() as session:
        target = resolve_lane(_lanes(session, _board_id(session, board)), lane)
        row = session.get(Lane, target.id)
        assert row is not None
        row.wip_limit = limit
        _next_seq(session)
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
) -> CardInfo:
    """Create a card at the bottom of ``lane`` and log its creation."""
    fields = _clean_text_fields(title, description, criteria, assignee or "", kind)
    if fields["kind"] == "task" and fields["criteria"]:
        raise ValidationError("only a hypothesis has exit criteria", "criteria")
    author = clean_name(author, "user name")
    with store.write() as session:
        board_id = _board_id(session, board)
        lanes = _lanes(session, board_id)
        target = resolve_lane(lanes, lane)
        if target.slug == DONE and fields["kind"] == "hypothesis":
            raise ValidationError("a new hypothesis cannot start in Done: it has no outcome yet")
        now = store.clock()
        card = Card(
            board_id=board_id, lane_id=target.id, author=author, position=_lane_count(session,
            target.id), timebox_seconds=timebox_seconds, created_at=now, updated_at=now,
            clock_start=None if target.slug == TODO else now,
            clock_stop=now if target.slug == DONE else None,
            changed_seq=_next_seq(session), **fields,
        )
        session.add(card)
        session.flush()
        _log(session, card, author, now, "create", f"created in {target.name}",
             {"lane": target.slug})
        return _info(card, {lane.id: lane for lane in lanes})


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
) -> CardInfo:
    """Change a card's text fields; refused if it changed since ``expected_version``."""
    fields = _clean_text_fields(title, description, criteria, assignee, kind)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = _card(session, card_id, for_update=True)
        _check_version(session, card, expected_version)
        changed = [name for name, value in fields.items() if getattr(card, name) != value]
        new_kind = fields.get("kind", card.kind)
        if new_kind == "task" and fields.get("criteria", card.criteria):
            raise ValidationError("only a hypothesis has exit criteria", "criteria")
        if changed:
            for name in changed:
                setattr(card, name, fields[name])
            now = store.clock()
            _touch(session, card, now)
            _log(session, card, author, now, "edit", "edited " + ", ".join(changed),
                 {"fields": changed})
        return _info(card, {lane.id: lane for lane in _lanes(session, card.board_id)})


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
) -> CardInfo:
    """Move a card to ``lane`` at ``position``: by default the top, where the mover sees it;
    in Done the end, since Done shows its most recent cards first (and a move into a lane of
    thousands of done cards then shifts none of them).

    ``lane=None`` keeps the card in its lane (a reorder).

    A hypothesis enters Done only with an outcome (given here or recorded before). The clock
    starts when the card first leaves To do and stops when it enters Done.
    """
    outcome, note = _check_outcome(outcome, conclusion)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = _card(session, card_id, for_update=True)
        _check_version(session, card, expected_version)
        lanes = _lanes(session, card.board_id)
        by_id = {lane.id: lane for lane in lanes}
        source = by_id[card.lane_id]
        target = source if lane is None else resolve_lane(lanes, lane)
        now = store.clock()
        if outcome is not None and card.kind != "hypothesis":
            raise ValidationError("only a hypothesis has an outcome; tasks need none", "outcome")
        if target.slug == DONE and source.slug != DONE and card.kind == "hypothesis":
            if outcome is None and card.outcome is None:
                raise ValidationError(
                    f"card #{card_id} is a hypothesis: it needs an outcome to enter Done "
                    "(validated, invalidated or inconclusive)",
                    "outcome",
                )
        if outcome is not None:
            _record_outcome(session, card, outcome, note, author, now)
        same_lane = target.id == source.id
        old_position = card.position
        _close_gap(session, source.id, old_position)
        count = _lane_count(session, target.id) - (1 if same_lane else 0)
        if position is None:
            position = old_position if same_lane else (count if target.slug == DONE else 0)
        position = max(0, min(position, count))
        _open_gap(session, target.id, position)
        card.lane_id, card.position = target.id, position
        if not same_lane:
            if target.slug != TODO and card.clock_start is None:
                card.clock_start = now
            if target.slug == DONE:
                card.clock_stop = now
            elif source.slug == DONE:
                card.clock_stop = None
            _log(session, card, author, now, "move", f"moved from {source.name} to {target.name}",
                 {"from": source.slug, "to": target.slug})
        _touch(session, card, now)
        session.flush()
        return _info(card, by_id)


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
        card = _card(session, card_id, for_update=True)
        _check_version(session, card, expected_version)
        _close_gap(session, card.lane_id, card.position)
        card.archived = True
        now = store.clock()
        _touch(session, card, now)
        _log(session, card, author, now, "archive", "archived")
        session.flush()
        return _info(card, {lane.id: lane for lane in _lanes(session, card.board_id)})


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
        card = _card(session, card_id, for_update=True)
        now = store.clock()
        entry = _log(session, card, author, now, "note", text, metrics=metrics)
        card.updated_at = now
        return _entry(entry)


def set_timebox(store: Store, card_id: int, seconds: int, *, author: str,
                reason: str = "", expected_version: int | None = None) -> CardInfo:
    """Set a card's time box, or extend it: a change to a running box needs a reason."""
    reason = clean(reason, "reason", max_len=LINE_MAX)
    author = clean_name(author, "user name")
    with store.write() as session:
        card = _card(session, card_id, for_update=True)
        _check_version(session, card, expected_version)
        running = card.timebox_seconds and card.clock_start is not None
        if running and not reason:
            raise ValidationError(
                "this card's time box is running: say why it changes (a reason goes in the log)",
                "reason",
            )
        old = card.timebox_seconds
        card.timebox_seconds = seconds
        now = store.clock()
        _touch(session, card, now)
        kind = "extend" if running and old and seconds > old else "timebox"
        text = f"time box {format_duration(old)} → {format_duration(seconds)}"
        if reason:
            text += f": {reason}"
        _log(session, card, author, now, kind, text, {"from": old, "to": seconds,
                                                      "reason": reason})
        session.flush()
        return _info(card, {lane.id: lane for lane in _lanes(session, card.board_id)})


def _record_outcome(session: Session, card: Card, outcome: str, note: str, author: str,
                    now: float) -> None:
    card.outcome, card.conclusion = outcome, note
    text = outcome + (f": {note}" if note else "")
    _log(session, card, author, now, "outcome", text, {"outcome": outcome, "conclusion": note})


def set_outcome(store: Store, card_id: int, outcome: str, conclusion: str = "", *, author: str,
                expected_version: int | None = None) -> CardInfo:
    """Record a hypothesis's outcome: validated, invalidated or inconclusive."""
    checked, note = _check_outcome(outcome, conclusion)
    assert checked is not None
    author = clean_name(author, "user name")
    with store.write() as session:
        card = _card(session, card_id, for_update=True)
        _check_version(session, card, expected_version)
        if card.kind != "hypothesis":
            raise ValidationError("only a hypothesis has an outcome; tasks need none", "outcome")
        now = store.clock()
        _record_outcome(session, card, checked, note, author, now)
        _touch(session, card, now)
        session.flush()
        return _info(card, {lane.id: lane for lane in _lanes(session, card.board_id)})


# --- reading -------------------------------------------------------------------------------------


_CARD_COLUMNS = (Card.id, Card.title, Card.kind, Card.lane_id, Card.position, Card.outcome,
                 Card.conclusion, Card.description, Card.criteria, Card.timebox_seconds,
                 Card.clock_start, Card.clock_stop, Card.author, Card.assignee, Card.archived,
                 Card.created_at, Card.updated_at, Card.version, Card.log_count)


def _rows_to_cards(rows: Any, lanes: dict[int, LaneInfo]) -> list[CardInfo]:
    """Plain rows (no ORM objects: a 10,000-card board loads in milliseconds) to CardInfo."""
    cards = []
    for (cid, title, kind, lane_id, position, outcome, conclusion, description, criteria,
         timebox, start, stop, author, assignee, archived, created, updated, version,
         log_count) in rows:
        lane = lanes[lane_id]
        cards.append(CardInfo(cid, title, kind, lane.name, lane.slug, lane.number, position,
                              outcome, conclusion, description, criteria, timebox, start, stop,
                              author, assignee, bool(archived), created, updated, version,
                              log_count))
    return cards


def list_cards(store: Store, board: str = DEFAULT_BOARD, *, lane: str | int | None = None,
               include_archived: bool = False) -> list[CardInfo]:
    """Cards in lane order, then priority order (Done: most recent first)."""
    with store.read() as session:
        board_id = _board_id(session, board)
        lanes = _lanes(session, board_id)
        query = select(*_CARD_COLUMNS).where(Card.board_id == board_id)
        if lane is not None:
            query = query.where(Card.lane_id == resolve_lane(lanes, lane).id)
        if not include_archived:
            query = query.where(col(Card.archived).is_(False))
        cards = _rows_to_cards(session.execute(query).all(), {ln.id: ln for ln in lanes})
    return sorted(cards, key=lambda c: (c.lane_number, c.archived,
                                        -c.position if c.lane_slug == DONE else c.position, c.id))


def _current_seq(session: Session) -> int:
    row = session.get(Meta, "change_seq")
    return int(row.value) if row else 0


def load_lanes(store: Store, board: str = DEFAULT_BOARD, slugs: set[str] | None = None, *,
               done_limit: int | None = None) -> tuple[list[LaneInfo], dict[str, LaneCards], int]:
    """The live cards of the named lanes (all by default) in priority order, read with the
    lane index; Done is cut to its ``done_limit`` most recent cards. Also returns every lane
    (for headers) and the file's change number."""
    with store.read() as session:
        board_id = _board_id(session, board)
        lanes = _lanes(session, board_id)
        by_id = {lane.id: lane for lane in lanes}
        seq = _current_seq(session)
        loaded: dict[str, LaneCards] = {}
        for lane in lanes:
            if slugs is not None and lane.slug not in slugs:
                continue
            order = col(Card.position).desc() if lane.slug == DONE else col(Card.position)
            query = (select(*_CARD_COLUMNS)
                     .where(Card.lane_id == lane.id, col(Card.archived).is_(False))
                     .order_by(order))
            limit = done_limit if lane.slug == DONE else None
            if limit is not None:
                query = query.limit(limit)
            cards = _rows_to_cards(session.execute(query).all(), by_id)
            total = len(cards) if limit is None or len(cards) < limit else _lane_count(
                session, lane.id)
            loaded[lane.slug] = LaneCards(lane, cards, total)
    return lanes, loaded, seq


def load_board(store: Store, board: str = DEFAULT_BOARD, *,
               done_limit: int | None = None) -> BoardSnapshot:
    """The visible board: every lane with its live cards in priority order."""
    lanes, loaded, seq = load_lanes(store, board, done_limit=done_limit)
    return BoardSnapshot(board, [loaded[lane.slug] for lane in lanes], seq)


def changes_since(store: Store, board: str, seq: int) -> tuple[int, dict[int, str | None]]:
    """The file's change number now, and each card changed after ``seq`` with its lane now
    (None once archived): what a live board must reload."""
    with store.read() as session:
        board_id = _board_id(session, board)
        now_seq = _current_seq(session)
        if now_seq == seq:
            return seq, {}
        rows = session.execute(
            select(Card.id, Lane.slug, Card.archived).join(Lane, col(Lane.id) == Card.lane_id)
            .where(Card.board_id == board_id, col(Card.changed_seq) > seq)
        ).all()
        return now_seq, {cid: (None if archived else slug) for cid, slug, archived in rows}


def get_card(store: Store, card_id: int) -> CardDetail:
    """A card with its whole research log, oldest entry first."""
    with store.read() as session:
        card = _card(session, card_id)
        lanes = {lane.id: lane for lane in _lanes(session, card.board_id)}
        rows = session.exec(
            select(LogEntry).where(LogEntry.card_id == card_id).order_by(col(LogEntry.id))
        ).all()
        mention_rows = session.exec(
            select(Mention).where(col(Mention.entry_id).in_([r.id for r in rows]))
        ).all()
        by_entry: dict[int, list[str]] = {}
        for m in mention_rows:
            by_entry.setdefault(m.entry_id, []).append(m.user)
        entries = [_entry(r, sorted(by_entry.get(r.id or 0, []))) for r in rows]
        return CardDetail(_info(card, lanes), entries)


@dataclass(frozen=True)
class MentionInfo:
    entry: EntryInfo
    card_id: int
    card_title: str


def mentions_of(store: Store, user: str, board: str = DEFAULT_BOARD) -> list[MentionInfo]:
    """Log entries on this board that mention ``user``, newest first."""
    with store.read() as session:
        board_id = _board_id(session, board)
        rows = session.exec(
            select(LogEntry, Card.title)
            .join(Mention, col(Mention.entry_id) == LogEntry.id)
            .join(Card, col(Card.id) == LogEntry.card_id)
            .where(Mention.user == user.lower(), Card.board_id == board_id)
            .order_by(col(LogEntry.at).desc(), col(LogEntry.id).desc())
        ).all()
        return [MentionInfo(_entry(entry), entry.card_id, title) for entry, title in rows]


def _seen_key(user: str) -> str:
    return f"mentions_seen:{user.lower()}"


def unread_mentions(store: Store, user: str, board: str = DEFAULT_BOARD) -> int:
    """How many entries mention ``user`` since they last opened their mentions."""
    with store.read() as session:
        seen = session.get(Meta, _seen_key(user))
        last = int(seen.value) if seen else 0
        return session.exec(
            select(func.count()).select_from(Mention)
            .join(LogEntry, col(LogEntry.id) == Mention.entry_id)
            .join(Card, col(Card.id) == LogEntry.card_id)
            .where(Mention.user == user.lower(), col(Mention.entry_id) > last,
                   Card.board_id == _board_id(session, board))
        ).one()


def mark_mentions_seen(store: Store, user: str, entry_id: int) -> None:
    """Remember that ``user`` has seen every mention up to ``entry_id``."""
    with store.write() as session:
        row = session.get(Meta, _seen_key(user))
        if row is None:
            session.add(Meta(key=_seen_key(user), value=str(entry_id)))
        elif int(row.value) < entry_id:
            row.value = str(entry_id)


def history(store: Store, board: str = DEFAULT_BOARD) -> tuple[list[CardHistory], list[LaneRef]]:
    """Every card of the board (archived too) with its lane visits and extensions."""
    with store.read() as session:
        board_id = _board_id(session, board)
        lanes = _lanes(session, board_id)
        by_id = {lane.id: lane for lane in lanes}
        cards = session.exec(select(Card).where(Card.board_id == board_id)).all()
        entries = session.exec(
            select(LogEntry).join(Card, col(Card.id) == LogEntry.card_id)
            .where(Card.board_id == board_id,
                   col(LogEntry.kind).in_(["create", "move", "archive", "extend"]))
            .order_by(col(LogEntry.at), col(LogEntry.id))
        ).all()
    visits: dict[int, list[tuple[float, str]]] = {}
    archived: dict[int, float] = {}
    extensions: dict[int, list[tuple[float, str, str]]] = {}
    for entry in entries:
        data = json.loads(entry.data or "{}")
        if entry.kind == "create":
            visits.setdefault(entry.card_id, []).append((entry.at, data.get("lane", TODO)))
        elif entry.kind == "move":
            visits.setdefault(entry.card_id, []).append((entry.at, data.get("to", TODO)))
        elif entry.kind == "archive":
            archived[entry.card_id] = entry.at
        else:
            extensions.setdefault(entry.card_id, []).append(
                (entry.at, entry.author, data.get("reason", "")))
    result = []
    for card in cards:
        cid = card.id or 0
        result.append(CardHistory(
            id=cid, title=card.title, kind=card.kind, outcome=card.outcome,
            conclusion=card.conclusion, timebox_seconds=card.timebox_seconds,
            clock_start=card.clock_start, clock_stop=card.clock_stop,
            archived_at=archived.get(cid) if card.archived else None,
            lane_slug=by_id[card.lane_id].slug,
            visits=visits.get(cid) or [(card.created_at, by_id[card.lane_id].slug)],
            extensions=extensions.get(cid, []),
        ))
    return result, [LaneRef(lane.slug, lane.name, lane.wip_limit) for lane in lanes]
