"""The pieces every write is made of: the card as a write leaves it, version checks, the
research log, change numbers for live boards, events, and lane positions. Each runs inside a
write's own transaction (``Store.write``); ``board``, ``undo``, ``blocked``, ``relations``,
``runs`` and ``phase`` build their operations from them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from tkanban.core.board.reads import (
    CARD_COLUMNS,
    ENTRY_COLUMNS,
    board_id,
    card_info,
    entry_info,
    lanes_of,
    links_in,
)
from tkanban.core.errors import ConflictError, NotFoundError
from tkanban.core.events.changes import LOG_EVENTS, emit
from tkanban.core.model.records import DONE, CardInfo, LaneInfo
from tkanban.core.model.text import find_mentions
from tkanban.core.storage.base import Store, Transaction, dumps, on_commit
from tkanban.core.storage.tables import Card, Event, LogEntry, Mention, Meta, Relation


def board_id_in(session: Session, name: str) -> int:
    """The board's id, read in the write's own transaction (``queries.board_id``)."""
    return board_id(Store.session_sql(session), name)


def lanes_in(session: Session, bid: int) -> list[LaneInfo]:
    """The board's lanes in order, read in the write's own transaction."""
    return lanes_of(Store.session_sql(session), bid)


def card_info_in(session: Session, card: Card, lanes: dict[int, LaneInfo]) -> CardInfo:
    """The card as written in this transaction, with its relations read there."""
    session.flush()
    links = links_in(Store.session_sql(session), card.board_id, list(lanes.values()),
                     card.id or 0)
    return card_info([getattr(card, name) for name in CARD_COLUMNS], lanes, links)


def card_now(session: Session, card: Card) -> CardInfo:
    """The card as written in this transaction, with its board's lanes read there."""
    return card_info_in(session, card, {lane.id: lane for lane in lanes_in(session, card.board_id)})


def waiters_changed(session: Session, card: Card) -> None:
    """The cards ``card`` blocks now wait on it or no longer do (it entered or left Done, or
    the board): a live board must redraw them (``changes_since``)."""
    session.execute(
        update(Card)
        .where(col(Card.id).in_(select(Relation.to_id).where(Relation.from_id == card.id,
                                                             Relation.kind == "blocks")))
        .values(changed_seq=next_seq(session))
    )


def card_row(session: Session, card_id: int, *, for_update: bool = False) -> Card:
    card = session.get(Card, card_id)
    if card is None or (for_update and card.archived):
        raise NotFoundError(f"no card #{card_id}" + (" (it is archived)" if card else ""))
    return card


def card_for_write(session: Session, card_id: int, expected_version: int | None) -> Card:
    """The live card a write changes, refused (``ConflictError``) when someone changed it
    after the version the writer saw."""
    card = card_row(session, card_id, for_update=True)
    check_version(session, card, expected_version)
    return card


def check_version(session: Session, card: Card, expected: int | None) -> None:
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


def append_log(session: Session, card: Card, author: str, at: float, kind: str, text: str = "",
         data: dict[str, Any] | None = None, metrics: dict[str, float] | None = None, *,
         mentions: bool = True) -> LogEntry:
    """Append an entry to the card's log; its ``@names`` mention users unless the text is a
    tracker's (``mentions`` false: a run named ``@team`` pings nobody)."""
    entry = LogEntry(card_id=card.id or 0, author=author, at=at, kind=kind, text=text,
                     data=dumps(data or {}), metrics=dumps(metrics or {}))
    session.add(entry)
    session.flush()
    mentioned = find_mentions(text) if mentions else []
    for user in mentioned:
        session.add(Mention(entry_id=entry.id or 0, user=user))
    card.log_count += 1
    card.changed_seq = next_seq(session)
    extra: dict[str, Any] = {"entry": entry_info(
        [getattr(entry, name) for name in ENTRY_COLUMNS], mentioned).to_json()}
    if kind == "move" and data:
        extra.update({"from": data.get("from"), "to": data.get("to")})
    card_event(session, card, LOG_EVENTS[kind], author, at, extra)
    return entry


def card_event(session: Session, card: Card, type: str, actor: str, at: float,
                extra: dict[str, Any] | None = None, once: str | None = None) -> None:
    """An event about ``card``, written as the transaction commits, with the card as it is
    then (``list --json``)."""
    pending = Transaction.of(session).card_events
    if not pending:
        on_commit(session, _write_card_events)
    pending.append((card, type, actor, at, extra or {}, once))


def _write_card_events(session: Session) -> None:
    lanes: dict[int, dict[int, LaneInfo]] = {}
    state = Transaction.of(session)
    pending, state.card_events = state.card_events, []
    for card, type, actor, at, extra, once in pending:
        if card.board_id not in lanes:
            lanes[card.board_id] = {ln.id: ln for ln in lanes_in(session, card.board_id)}
        by_id = lanes[card.board_id]
        data = {"card": card_info_in(session, card, by_id).to_json(at), **extra}
        if "from" in extra:
            names = {ln.slug: ln.name for ln in by_id.values()}
            data.update(from_lane=names.get(extra["from"]), to_lane=names.get(extra["to"]))
        emit(session, card.board_id, type, actor, at, data, card.id, once)


def card_events_now(store: Store, cards: dict[str, int], type: str, actor: str) -> int:
    """Write an event of ``type`` about each card of ``cards`` (once key → card id), each
    once: a key already written (by another process meanwhile) is left out."""
    with store.write() as session:
        taken = set(session.exec(select(Event.once).where(col(Event.once).in_(list(cards)))))
        now = store.clock()
        written = 0
        for key, card_id in cards.items():
            card = session.get(Card, card_id)
            if key in taken or card is None:
                continue
            card_event(session, card, type, actor, now, once=key)
            written += 1
        return written


def wip_event(session: Session, card: Card, lane: LaneInfo, actor: str, at: float) -> None:
    """The card's arrival took its lane over the WIP limit: tell the team."""
    if lane.wip_limit is None:
        return
    count = lane_count(session, lane.id)
    if count > lane.wip_limit:
        card_event(session, card, "wip.exceeded", actor, at,
                    {"lane": lane.slug, "lane_name": lane.name, "count": count,
                     "limit": lane.wip_limit})


def arrived(session: Session, card: Card, source: LaneInfo, target: LaneInfo, author: str,
             at: float, text: str) -> None:
    """The card moved from ``source`` to ``target``: log it, tell of a WIP limit it breaks,
    and redraw the cards it blocks when it entered or left Done."""
    append_log(session, card, author, at, "move", text, {"from": source.slug, "to": target.slug})
    wip_event(session, card, target, author, at)
    if DONE in (source.slug, target.slug):
        waiters_changed(session, card)


def next_seq(session: Session) -> int:
    """This transaction's change number: one more than the file's last (see ``changes_since``)."""
    state = Transaction.of(session)
    if state.seq is None:
        row = session.get(Meta, "change_seq")
        if row is None:
            row = Meta(key="change_seq", value="0")
            session.add(row)
        row.value = str(int(row.value) + 1)
        state.seq = int(row.value)
    return state.seq


def touch(session: Session, card: Card, now: float) -> None:
    card.updated_at = now
    card.version += 1
    card.changed_seq = next_seq(session)


def lane_count(session: Session, lane_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Card).where(Card.lane_id == lane_id,
                                                     col(Card.archived).is_(False))
    ).one()


def close_gap(session: Session, lane_id: int, position: int) -> None:
    session.execute(
        update(Card)
        .where(col(Card.lane_id) == lane_id, col(Card.archived).is_(False),
               col(Card.position) > position)
        .values(position=Card.position - 1)
    )


def open_gap(session: Session, lane_id: int, position: int) -> None:
    session.execute(
        update(Card)
        .where(col(Card.lane_id) == lane_id, col(Card.archived).is_(False),
               col(Card.position) >= position)
        .values(position=Card.position + 1)
    )
