"""Every change to a board as an event with a stable id, for scripts (``tkanban events``) and
hooks (``tkanban watch``).

An event is written in the same transaction as the change it tells of, so there is none for a
change that did not happen, and every change has one. Writes are serialised, so ids grow in
commit order: a reader that saw up to id N has seen every event up to N, and ``--since N``
never skips one. A time box running out is a change of time, not of data: the first reader
or watcher to notice writes its event (``board.cards.expire_due``), once per box.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tkanban.core.board.reads import board_id
from tkanban.core.errors import ValidationError
from tkanban.core.model.text import visible
from tkanban.core.model.timebox import format_duration, iso
from tkanban.core.storage.base import Store, dumps

LOG_EVENTS = {
    "create": "card.added", "move": "card.moved", "edit": "card.edited",
    "archive": "card.archived", "restore": "card.restored", "note": "log.added",
    "strike": "log.struck", "outcome": "outcome.recorded", "timebox": "timebox.set",
    "extend": "timebox.extended", "block": "card.blocked", "unblock": "card.unblocked",
    "relate": "card.related", "unrelate": "card.unrelated", "link": "run.linked",
    "unlink": "run.unlinked", "run": "run.synced", "pin": "run.pinned", "unpin": "run.unpinned",
}
"""The event each kind of research-log entry is."""

TYPES = (*LOG_EVENTS.values(), "timebox.expired", "wip.exceeded", "phase.started",
         "phase.ended")
"""Every event type."""

SYSTEM = "tkanban"
"""The actor of events nobody did (a time box running out)."""


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    at: float
    actor: str
    board: str
    card_id: int | None
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "at": iso(self.at), "actor": self.actor,
                "board": self.board, **self.data}

    @property
    def mentions(self) -> list[str]:
        entry = self.data.get("entry") or {}
        return list(entry.get("mentions") or [])

    def summary(self) -> str:
        """One line a person reads in a chat: ``alice moved #12 Title: To do → Done``."""
        card = self.data.get("card") or {}
        what = f"#{card.get('id')} {card.get('title', '')}".strip() if card else ""
        entry = self.data.get("entry") or {}
        data = entry.get("data") or {}
        text = {
            "card.added": f"added {what} to {card.get('lane')}",
            "card.moved": f"moved {what}: {self.data.get('from_lane')} → "
                          f"{self.data.get('to_lane')}",
            "card.edited": f"edited {what}",
            "card.archived": f"archived {what}",
            "card.restored": f"restored {what}",
            "log.added": f"wrote on {what}: {entry.get('text', '')}",
            "log.struck": f"struck a log entry of {what}",
            "outcome.recorded": f"recorded {what} as {card.get('outcome') or 'open again'}"
                                + (f": {card['conclusion']}" if card.get("conclusion") else ""),
            "timebox.set": f"set the time box of {what} to "
                           f"{format_duration(card.get('timebox_seconds'))}",
            "timebox.extended": f"extended the time box of {what} to "
                                f"{format_duration(card.get('timebox_seconds'))}"
                                + (f" ({data['reason']})" if data.get("reason") else ""),
            "card.blocked": f"blocked {what}: {card.get('blocked')}",
            "card.unblocked": f"unblocked {what}",
            "card.related": f"related {what}: {entry.get('text', '')}",
            "card.unrelated": f"unrelated {what}: {entry.get('text', '')}",
            "run.linked": f"{entry.get('text', '')} to {what}",
            "run.unlinked": f"{entry.get('text', '')} from {what}",
            "run.pinned": f"{what} is {entry.get('text', '')}",
            "run.unpinned": f"{what} is {entry.get('text', '')}",
            "run.synced": f"synced {what}: {entry.get('text', '')} "
                          + " ".join(f"{k}={v:g}" for k, v in (entry.get("metrics") or {})
                                     .items()),
            "timebox.expired": f"the time box of {what} ran out"
                               + (f" (@{card['assignee']})" if card.get("assignee") else ""),
            "wip.exceeded": f"{self.data.get('lane_name')} is over its WIP limit "
                            f"({self.data.get('count')}/{self.data.get('limit')}) with {what}",
        }.get(self.type)
        if text is None:
            phase = self.data.get("phase") or {}
            text = (f"started the phase {phase.get('name')} ({phase.get('goal') or 'no goal'})"
                    if self.type == "phase.started" else
                    f"ended the phase {phase.get('name')}: {phase.get('decision')}"
                    + (f" ({phase['note']})" if phase.get("note") else ""))
        actor = "" if self.actor == SYSTEM else f"{self.actor} "
        return visible(f"[{self.board}] {actor}{text}", multiline=False)


# --- writing -------------------------------------------------------------------------------------


def emit(session: Any, bid: int, type: str, actor: str, at: float, data: dict[str, Any],
         card_id: int | None = None, once: str | None = None) -> None:
    """Write an event in the write ``session`` (``Store.write``)."""
    from tkanban.core.storage.tables import Event as Row

    session.add(Row(board_id=bid, type=type, at=at, actor=actor, card_id=card_id,
                    data=dumps(data), once=once))


# --- reading -------------------------------------------------------------------------------------

_COLUMNS = "e.id, e.type, e.at, e.actor, b.name, e.card_id, e.data"


def _events(rows: Iterable[Sequence[Any]]) -> list[Event]:
    return [Event(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]


def events_after(store: Store, board: str, since: int, limit: int = 500) -> list[Event]:
    """The board's events after id ``since``, oldest first, at most ``limit``."""
    with store.reading() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM event e JOIN board b ON b.id = e.board_id "
            f"WHERE e.board_id = ? AND e.id > ? ORDER BY e.id LIMIT {int(limit):d}",
            (board_id(conn, board), since)).fetchall()
    return _events(rows)


def latest_id(store: Store, board: str) -> int:
    """The id of the board's latest event (0 when it has none)."""
    with store.reading() as conn:
        row = conn.execute("SELECT max(id) FROM event WHERE board_id = ?",
                           (board_id(conn, board),)).fetchone()
    return int(row[0] or 0)


def check_types(types: Sequence[str]) -> list[str]:
    """Event types as given to ``--type``: exact names, or families (``card`` for every
    ``card.*``)."""
    families = {t.split(".")[0] for t in TYPES}
    for name in types:
        if name not in TYPES and name not in families:
            raise ValidationError(f"no event type {name!r}: types are {', '.join(TYPES)} "
                                  f"(or a family: {', '.join(sorted(families))})", "type")
    return list(types)


def matches(event: Event, types: Sequence[str], mention: str | None) -> bool:
    """Whether ``event`` is one of ``types`` (all when empty) and mentions ``mention``."""
    if types and not any(event.type == t or event.type.startswith(t + ".") for t in types):
        return False
    return mention is None or mention.lower() in event.mentions


# --- delivery cursors ----------------------------------------------------------------------------


def cursor(store: Store, board: str, name: str) -> int | None:
    """Where the watcher ``name`` delivered up to; None for a watcher never run."""
    with store.reading() as conn:
        row = conn.execute("SELECT event_id FROM delivery WHERE board_id = ? AND name = ?",
                           (board_id(conn, board), name)).fetchone()
    return None if row is None else int(row[0])


def save_cursor(store: Store, board: str, name: str, event_id: int) -> None:
    from tkanban.core.storage.tables import Delivery

    with store.write() as session:
        bid = board_id(Store.session_sql(session), board)
        row = session.get(Delivery, (bid, name))
        if row is None:
            session.add(Delivery(board_id=bid, name=name, event_id=event_id,
                                 updated_at=store.clock()))
        else:
            row.event_id, row.updated_at = event_id, store.clock()


class Changes:
    """Waits until the board may have changed: woken at once by an engine that pushes
    changes (a server), else by polling the file's change counter every ``poll`` seconds."""

    def __init__(self, store: Store, poll: float = 0.5) -> None:
        self.store, self.poll = store, poll
        self._woken = threading.Event()
        self.pushed = store.watch(self._woken.set)
        self._version: int | None = None

    def wait(self, timeout: float) -> None:
        """Return when something changed (or may have), or after ``timeout`` seconds."""
        if self.pushed:
            self._woken.wait(timeout)
            self._woken.clear()
            return
        deadline = time.monotonic() + timeout
        while True:
            version = self.store.data_version()
            if version != self._version:
                self._version = version
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.poll, left))


def for_user(event: Event, user: str) -> str | None:
    """What ``event`` should tell ``user`` while their board is open, if anything: someone
    mentioned them, or moved a card of theirs (assigned to them, else written by them) into a
    review lane. Their own doings tell them nothing."""
    user = user.lower()
    if event.actor.lower() == user:
        return None
    card = event.data.get("card") or {}
    title = f"#{card.get('id')} {card.get('title', '')}"
    if event.type == "log.added" and user in event.mentions:
        text = (event.data.get("entry") or {}).get("text", "")
        return visible(f"{event.actor} mentioned you on {title}: {text}", multiline=False)
    owner = (card.get("assignee") or card.get("author") or "").lower()
    if event.type == "card.moved" and owner == user and "review" in str(event.data.get("to")):
        return visible(f"{event.actor} moved your card {title} to {event.data.get('to_lane')}",
                       multiline=False)
    return None
