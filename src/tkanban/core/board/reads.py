"""Reading a board: plain SQL, written once for both engines, in one short read transaction
each (``Store.reading``). No SQLAlchemy here: a board file opens, and ``tkanban list`` answers,
without paying for the ORM's import. The functions taking a connection (``board_id``,
``lanes_of``, ``running_phase_in`` …) serve the writes in ``board`` and ``phase`` too, inside
their own transaction (``Store.sql``).

Portable SQL only: ``?`` placeholders, booleans compared with a parameter (``archived = ?``
with False: an equality SQLite's index on (lane, archived, position) serves, where ``NOT
archived`` would make it sort the lane), ``"user"`` quoted (a reserved word on PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.model.criteria import parse_criteria
from tkanban.core.model.evidence import (
    DEFAULT_MODE,
    MODES,
    RunDetail,
    against,
    all_met,
    judge,
    mark,
)
from tkanban.core.model.records import (
    DEFAULT_BOARD,
    DONE,
    RELATIONS,
    SIDES,
    TODO,
    BoardSnapshot,
    CardDetail,
    CardHistory,
    CardInfo,
    EntryInfo,
    LaneCards,
    LaneInfo,
    LaneRef,
    LinkInfo,
    MentionInfo,
    PhaseInfo,
    PhaseRef,
    Related,
    resolve_lane,
    typed_points,
)
from tkanban.core.storage.base import Sql, Store

CARD_COLUMNS = ("id", "title", "kind", "lane_id", "position", "outcome", "conclusion",
                "description", "criteria", "timebox_seconds", "clock_start", "clock_stop",
                "author", "assignee", "archived", "created_at", "updated_at", "version",
                "log_count", "changed_seq", "labels", "blocked")
"""The card columns a ``CardInfo`` is made from, in ``card_info``'s order."""
ENTRY_COLUMNS = ("id", "card_id", "author", "at", "kind", "text", "data", "metrics")
"""The log-entry columns an ``EntryInfo`` is made from, in ``entry_info``'s order."""
_CARD = ", ".join(CARD_COLUMNS)


def no_board(name: str, names: Sequence[str]) -> NotFoundError:
    """The error for a board missing from a file or database that holds the boards
    ``names``."""
    if names:
        return NotFoundError(f"no board named {name!r} here (boards here: "
                             f"{', '.join(names)}; choose one with --board)")
    return NotFoundError(f"no board named {name!r} here (it holds no board yet)")


def wip_warning(store: Store, card: CardInfo) -> str | None:
    """``Test hypothesis is over its WIP limit (3/2)`` when the card's lane holds more live
    cards than its limit allows (a soft rule: the move stands), else None."""
    with store.reading() as conn:
        row = conn.execute(
            "SELECT l.name, l.wip_limit, (SELECT count(*) FROM card o WHERE o.lane_id = l.id "
            "AND o.archived = ?) FROM lane l JOIN card c ON c.lane_id = l.id WHERE c.id = ?",
            (False, card.id)).fetchone()
    if row is None or row[1] is None or row[2] <= row[1] or card.lane_slug == DONE:
        return None
    return f"{row[0]} is over its WIP limit ({row[2]}/{row[1]})"


def shown_position(store: Store, card: CardInfo) -> int:
    """Where the board shows the card in its lane, 1 = top: Done lists its latest cards
    first, the other lanes by position."""
    if card.lane_slug != DONE:
        return card.position + 1
    with store.reading() as conn:
        later = conn.execute(
            "SELECT count(*) FROM card WHERE lane_id = (SELECT lane_id FROM card WHERE id = ?) "
            "AND archived = ? AND position > ?", (card.id, False, card.position)).fetchone()[0]
    return int(later) + 1


def board_names(store: Store) -> list[str]:
    """The boards this file or database holds, by name."""
    with store.reading() as conn:
        return [n for (n,) in conn.execute("SELECT name FROM board ORDER BY name")]


def board_id(conn: Sql, name: str) -> int:
    row = conn.execute("SELECT id FROM board WHERE name = ?", (name,)).fetchone()
    if row is None:
        names = [n for (n,) in conn.execute("SELECT name FROM board ORDER BY name")]
        raise no_board(name, names)
    return int(row[0])


def lanes_of(conn: Sql, bid: int) -> list[LaneInfo]:
    rows = conn.execute("SELECT id, name, slug, wip_limit FROM lane WHERE board_id = ? "
                        "ORDER BY position", (bid,)).fetchall()
    return [LaneInfo(r[0], r[1], r[2], i + 1, r[3]) for i, r in enumerate(rows)]


@dataclass
class Links:
    """The relations of a board's cards (or of one card), as each card says them, and the
    cards each one waits on (its blockers not in Done)."""

    of: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    waiting: dict[int, list[int]] = field(default_factory=dict)


def links_in(conn: Sql, bid: int, lanes: Sequence[LaneInfo],
             card_id: int | None = None) -> Links:
    """The relations of the board ``bid`` (only those of ``card_id`` when given)."""
    sql = ("SELECT r.from_id, r.kind, r.to_id, f.lane_id, f.archived FROM relation r "
           "JOIN card f ON f.id = r.from_id WHERE ")
    if card_id is None:
        rows = conn.execute(sql + "f.board_id = ?", (bid,)).fetchall()
    else:
        rows = conn.execute(sql + "(r.from_id = ? OR r.to_id = ?)", (card_id, card_id)).fetchall()
    if not rows:
        return Links()
    done = {lane.id for lane in lanes if lane.slug == DONE}
    order: dict[int, list[tuple[int, int, int, str]]] = {}
    waiting: dict[int, list[int]] = {}
    for from_id, kind, to_id, lane_id, archived in rows:
        rank = RELATIONS.index(kind)
        first, second = SIDES[kind]
        order.setdefault(from_id, []).append((rank, 0, to_id, first))
        order.setdefault(to_id, []).append((rank, 1, from_id, second))
        if kind == "blocks" and lane_id not in done and not archived:
            waiting.setdefault(to_id, []).append(from_id)
    return Links({cid: [(phrase, other) for _, _, other, phrase in sorted(items)]
                  for cid, items in order.items()},
                 {cid: sorted(ids) for cid, ids in waiting.items()})


def card_info(row: Sequence[Any], lanes: dict[int, LaneInfo],
              links: Links | None = None) -> CardInfo:
    """A card from its ``CARD_COLUMNS`` values (a query row, or an ORM object's fields)."""
    (cid, title, kind, lane_id, position, outcome, conclusion, description, criteria,
     timebox, start, stop, author, assignee, archived, created, updated, version,
     log_count, changed_seq, labels, blocked) = row
    lane = lanes[lane_id]
    tied = links.of.get(cid, ()) if links else ()
    waits = links.waiting.get(cid, ()) if links else ()
    return CardInfo(cid, title, kind, lane.name, lane.slug, lane.number, position, outcome,
                    conclusion, description, criteria, timebox, start, stop, author, assignee,
                    bool(archived), created, updated, version, log_count, changed_seq,
                    tuple(labels.split()), blocked, tuple(tied), tuple(waits))


def _cards(rows: list[Any], lanes: dict[int, LaneInfo], links: Links | None) -> list[CardInfo]:
    return [card_info(row, lanes, links) for row in rows]


def entry_info(row: Sequence[Any], mentions: list[str]) -> EntryInfo:
    """A log entry from its ``ENTRY_COLUMNS`` values."""
    entry_id, card_id, author, at, kind, text, data, metrics = row
    return EntryInfo(entry_id, card_id, author, at, kind, text, json.loads(data or "{}"),
                     json.loads(metrics or "{}"), mentions)


def has_board(conn: Sql, name: str) -> bool:
    return conn.execute("SELECT 1 FROM board WHERE name = ?", (name,)).fetchone() is not None


def board_exists(store: Store, name: str) -> bool:
    with store.reading() as conn:
        return has_board(conn, name)


def check_on_board(store: Store, card_id: int, board: str) -> None:
    """Refuse a card of another board: a command told ``--board`` acts on that board's
    cards only (card numbers are the file's or database's, shared by its boards)."""
    found = board_of(store, card_id)
    if found is not None and found != board:
        raise NotFoundError(f"no card #{card_id} on board {board!r} (#{card_id} is on board "
                            f"{found!r})")


def board_of(store: Store, card_id: int) -> str | None:
    """The name of the board card ``card_id`` is on (None: no such card)."""
    with store.reading() as conn:
        row = conn.execute("SELECT b.name FROM card c JOIN board b ON b.id = c.board_id "
                           "WHERE c.id = ?", (card_id,)).fetchone()
    return None if row is None else str(row[0])


def get_lanes(store: Store, board: str = DEFAULT_BOARD) -> list[LaneInfo]:
    with store.reading() as conn:
        return lanes_of(conn, board_id(conn, board))


def list_cards(store: Store, board: str = DEFAULT_BOARD, *, lane: str | int | None = None,
               include_archived: bool = False) -> list[CardInfo]:
    """Cards in lane order, then priority order (Done: most recent first)."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        lanes = lanes_of(conn, bid)
        sql, args = f"SELECT {_CARD} FROM card WHERE board_id = ?", [bid]
        if lane is not None:
            sql += " AND lane_id = ?"
            args.append(resolve_lane(lanes, lane).id)
        if not include_archived:
            sql += " AND archived = ?"
            args.append(False)
        cards = _cards(conn.execute(sql, args).fetchall(), {ln.id: ln for ln in lanes},
                       links_in(conn, bid, lanes))
    return sorted(cards, key=lambda c: (c.lane_number, c.archived,
                                        -c.position if c.lane_slug == DONE else c.position, c.id))


def _seq(conn: Sql) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'change_seq'").fetchone()
    return int(row[0]) if row else 0


def load_lanes(store: Store, board: str = DEFAULT_BOARD, slugs: set[str] | None = None, *,
               done_limit: int | None = None) -> tuple[list[LaneInfo], dict[str, LaneCards], int]:
    """The live cards of the named lanes (all by default) in priority order, read with the
    lane index; Done, most recent first, is cut to ``done_limit`` cards. Also returns every
    lane (for headers) and the file's change number."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        lanes = lanes_of(conn, bid)
        by_id = {lane.id: lane for lane in lanes}
        seq = _seq(conn)
        links = links_in(conn, bid, lanes)
        loaded: dict[str, LaneCards] = {}
        for lane in lanes:
            if slugs is not None and lane.slug not in slugs:
                continue
            order = "DESC" if lane.slug == DONE else "ASC"
            limit = done_limit if lane.slug == DONE else None
            rows = conn.execute(
                f"SELECT {_CARD} FROM card WHERE lane_id = ? AND archived = ? "
                f"ORDER BY position {order}" + ("" if limit is None else f" LIMIT {limit:d}"),
                (lane.id, False)).fetchall()
            cards = _cards(rows, by_id, links)
            total = len(cards)
            if limit is not None and total == limit:
                total = conn.execute("SELECT count(*) FROM card WHERE lane_id = ? AND "
                                     "archived = ?", (lane.id, False)).fetchone()[0]
            loaded[lane.slug] = LaneCards(lane, cards, total)
    return lanes, loaded, seq


def load_board(store: Store, board: str = DEFAULT_BOARD, *,
               done_limit: int | None = None) -> BoardSnapshot:
    """The visible board: every lane with its live cards in priority order."""
    lanes, loaded, seq = load_lanes(store, board, done_limit=done_limit)
    return BoardSnapshot(board, [loaded[lane.slug] for lane in lanes], seq)


def changes_since(store: Store, board: str, seq: int) -> tuple[int, dict[int, str | None]]:
    """The file's change number now, and each card changed after ``seq`` with its lane now
    (None once archived): what a live board must re-read."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        now_seq = _seq(conn)
        if now_seq == seq:
            return seq, {}
        rows = conn.execute(
            "SELECT card.id, lane.slug, card.archived FROM card JOIN lane ON lane.id = "
            "card.lane_id WHERE card.board_id = ? AND card.changed_seq > ?", (bid, seq))
        return now_seq, {cid: (None if archived else slug) for cid, slug, archived in rows}


def get_card(store: Store, card_id: int) -> CardDetail:
    """A card with its whole research log, oldest entry first."""
    with store.reading() as conn:
        row = conn.execute(f"SELECT {_CARD}, board_id FROM card WHERE id = ?",
                           (card_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no card #{card_id}")
        bid = row[-1]
        board_lanes = lanes_of(conn, bid)
        lanes = {lane.id: lane for lane in board_lanes}
        card = card_info(row[:-1], lanes, links_in(conn, bid, board_lanes, card_id))
        mentions: dict[int, list[str]] = {}
        for entry_id, user in conn.execute(
                'SELECT m.entry_id, m."user" FROM mention m JOIN log_entry e ON e.id = '
                'm.entry_id WHERE e.card_id = ? ORDER BY m."user"', (card_id,)):
            mentions.setdefault(entry_id, []).append(user)
        entries = [entry_info(r, mentions.get(r[0], [])) for r in conn.execute(
            f"SELECT {', '.join(ENTRY_COLUMNS)} FROM log_entry WHERE card_id = ? ORDER BY id",
            (card_id,))]
        related = related_cards(conn, card.links, lanes)
        chain = _chain(conn, card_id, lanes)
        runs = [link_info(r) for r in conn.execute(
            f"SELECT {_LINK} FROM run_link WHERE card_id = ? ORDER BY at, ref", (card_id,))]
        mode = evidence_mode(conn, bid)
    return CardDetail(card, entries, related, chain, runs, mode)


def evidence_mode(conn: Sql, bid: int) -> str:
    """How the board weighs a card's evidence (its ``evidence`` setting, ``best`` when unset
    or not one of ``evidence.MODES``)."""
    row = None
    name = conn.execute("SELECT name FROM board WHERE id = ?", (bid,)).fetchone()
    if name is not None:
        row = conn.execute("SELECT value FROM meta WHERE key = ?",
                           (setting_key(name[0], "evidence"),)).fetchone()
    return row[0] if row and row[0] in MODES else DEFAULT_MODE


_LINK = "card_id, ref, name, status, url, seen, synced_at, pinned, detail"


def link_info(row: Sequence[Any]) -> LinkInfo:
    """A linked run from its row (``_LINK``'s columns)."""
    return LinkInfo(row[0], row[1], row[2], row[3], row[4], json.loads(row[5] or "{}"), row[6],
                    pinned=bool(row[7]), detail=RunDetail.from_text(row[8]))


_RELATED = "SELECT id, title, kind, lane_id, outcome, archived FROM card WHERE id IN "


def related_cards(conn: Sql, links: Sequence[tuple[str, int]],
                  lanes: dict[int, LaneInfo]) -> list[Related]:
    """The cards at the other end of ``links``, in their order."""
    if not links:
        return []
    ids = sorted({other for _, other in links})
    rows = {r[0]: r for r in conn.execute(
        _RELATED + f"({', '.join('?' for _ in ids)})", ids).fetchall()}
    out = []
    for phrase, other in links:
        cid, title, kind, lane_id, outcome, archived = rows[other]
        lane = lanes[lane_id]
        out.append(Related(phrase, cid, title, kind, lane.name, lane.slug, outcome,
                           bool(archived)))
    return out


CHAIN_MAX = 50
"""How far back the card pane follows a chain of hypotheses."""


def _chain(conn: Sql, card_id: int, lanes: dict[int, LaneInfo]) -> list[Related]:
    """What this card grew out of, and what that grew out of …: the first card first. A
    card following several follows the oldest of them."""
    seen, ids, at = {card_id}, list[int](), card_id
    while len(ids) < CHAIN_MAX:
        row = conn.execute("SELECT min(to_id) FROM relation WHERE from_id = ? AND "
                           "kind = 'follows'", (at,)).fetchone()
        if row is None or row[0] is None or row[0] in seen:
            break
        at = row[0]
        seen.add(at)
        ids.append(at)
    return related_cards(conn, [("follows", i) for i in reversed(ids)], lanes)


def mentions_of(store: Store, user: str, board: str = DEFAULT_BOARD) -> list[MentionInfo]:
    """Log entries on this board that mention ``user``, newest first."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        rows = conn.execute(
            "SELECT e.id, e.card_id, e.author, e.at, e.kind, e.text, e.data, e.metrics, c.title "
            "FROM mention m JOIN log_entry e ON e.id = m.entry_id JOIN card c ON c.id = "
            'e.card_id WHERE m."user" = ? AND c.board_id = ? ORDER BY e.at DESC, e.id DESC',
            (user.lower(), bid)).fetchall()
        found = []
        for row in rows:
            users = [u for (u,) in conn.execute(
                'SELECT "user" FROM mention WHERE entry_id = ? ORDER BY "user"', (row[0],))]
            found.append(MentionInfo(entry_info(row[:8], users), row[1], row[8]))
        return found


def cards_mentioning(store: Store, board: str, users: Sequence[str]) -> set[int]:
    """The cards of the board whose research log mentions any of ``users``."""
    if not users:
        return set()
    marks = ", ".join("?" for _ in users)
    with store.reading() as conn:
        rows = conn.execute(
            "SELECT DISTINCT e.card_id FROM mention m JOIN log_entry e ON e.id = m.entry_id "
            f'JOIN card c ON c.id = e.card_id WHERE m."user" IN ({marks}) AND c.board_id = ?',
            (*(u.lower() for u in users), board_id(conn, board))).fetchall()
    return {card_id for (card_id,) in rows}


def seen_key(user: str) -> str:
    return f"mentions_seen:{user.lower()}"


def unread_mentions(store: Store, user: str, board: str = DEFAULT_BOARD) -> int:
    """How many entries mention ``user`` since they last opened their mentions."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (seen_key(user),)).fetchone()
        last = int(row[0]) if row else 0
        return int(conn.execute(
            "SELECT count(*) FROM mention m JOIN log_entry e ON e.id = m.entry_id JOIN card c "
            'ON c.id = e.card_id WHERE m."user" = ? AND m.entry_id > ? AND c.board_id = ?',
            (user.lower(), last, bid)).fetchone()[0])


def history(store: Store, board: str = DEFAULT_BOARD) -> tuple[list[CardHistory], list[LaneRef]]:
    """Every card of the board (archived too) with its lane visits and extensions."""
    with store.reading() as conn:
        bid = board_id(conn, board)
        lanes = lanes_of(conn, bid)
        by_id = {lane.id: lane for lane in lanes}
        cards = conn.execute(
            "SELECT id, title, kind, outcome, conclusion, timebox_seconds, clock_start, "
            "clock_stop, archived, lane_id, created_at, labels, criteria FROM card "
            "WHERE board_id = ?", (bid,)).fetchall()
        entries = conn.execute(
            "SELECT e.card_id, e.kind, e.at, e.author, e.data FROM log_entry e JOIN card c ON "
            "c.id = e.card_id WHERE c.board_id = ? AND e.kind IN "
            "('create', 'move', 'archive', 'extend', 'block', 'unblock') ORDER BY e.at, e.id",
            (bid,)).fetchall()
        evidence = _evidence_of(conn, bid)
    visits: dict[int, list[tuple[float, str]]] = {}
    archived: dict[int, float] = {}
    extensions: dict[int, list[tuple[float, str, str]]] = {}
    blocks: dict[int, list[tuple[float, str]]] = {}
    for card_id, kind, at, author, raw in entries:
        if kind in ("block", "unblock"):
            blocks.setdefault(card_id, []).append((at, kind))
            continue
        data = json.loads(raw or "{}")
        if kind == "create":
            visits.setdefault(card_id, []).append((at, data.get("lane", TODO)))
        elif kind == "move":
            visits.setdefault(card_id, []).append((at, data.get("to", TODO)))
        elif kind == "archive":
            archived[card_id] = at
        else:
            extensions.setdefault(card_id, []).append((at, author, data.get("reason", "")))
    result = []
    for (cid, title, kind, outcome, conclusion, timebox, start, stop, is_archived, lane_id,
         created, labels, criteria) in cards:
        slug = by_id[lane_id].slug
        result.append(CardHistory(
            id=cid, title=title, kind=kind, outcome=outcome, conclusion=conclusion,
            timebox_seconds=timebox, clock_start=start, clock_stop=stop,
            archived_at=archived.get(cid) if is_archived else None, lane_slug=slug,
            visits=visits.get(cid) or [(created, slug)], extensions=extensions.get(cid, []),
            blocks=blocks.get(cid, []), labels=tuple(labels.split()),
            **evidence(cid, criteria)))
    return result, [LaneRef(lane.slug, lane.name, lane.wip_limit) for lane in lanes]


def verdict_marks(store: Store, board: str, card_ids: Sequence[int]
                  ) -> dict[int, tuple[str, bool]]:
    """The cards' compact verdict marks (``acc≥0.9 ✓``, ``2/3 ✓``), and whether each one's
    recorded outcome goes against its evidence, as the board shows them (hypotheses with
    criteria only)."""
    if not card_ids:
        return {}
    with store.reading() as conn:
        bid = board_id(conn, board)
        of = _evidence_of(conn, bid, card_ids)
        marks = ", ".join("?" * len(card_ids))
        rows = conn.execute(f"SELECT id, criteria, outcome FROM card WHERE id IN ({marks}) AND "
                            "kind = 'hypothesis' AND criteria <> ''", list(card_ids)).fetchall()
    out = {}
    for card_id, criteria, outcome in rows:
        verdicts = of(card_id, criteria)["verdicts"]
        if verdicts:
            out[card_id] = (mark(verdicts), against(outcome, verdicts))
    return out


def _evidence_of(conn: Sql, bid: int, card_ids: Sequence[int] | None = None) -> Any:
    """A function giving a card's linked runs and its verdicts, judged by the one rule the
    card pane and ``show`` use (``CardDetail.verdicts``): for the board's cards, or those of
    ``card_ids``."""
    only, args = "", [bid]
    if card_ids is not None:
        only = f" AND c.id IN ({', '.join('?' * len(card_ids))})"
        args += list(card_ids)
    links: dict[int, list[LinkInfo]] = {}
    for row in conn.execute(f"SELECT {', '.join('l.' + c for c in _LINK.split(', '))} FROM "
                            "run_link l JOIN card c ON c.id = l.card_id WHERE c.board_id = ?"
                            f"{only} ORDER BY l.at, l.ref", args):
        links.setdefault(row[0], []).append(link_info(row))
    entries: dict[int, list[EntryInfo]] = {}
    for row in conn.execute(
            f"SELECT {', '.join('e.' + c for c in ENTRY_COLUMNS)} FROM log_entry e JOIN card c "
            "ON c.id = e.card_id WHERE c.board_id = ? AND c.criteria <> '' AND (e.kind = "
            f"'strike' OR e.metrics NOT IN ('', '{{}}')){only} ORDER BY e.id", args):
        entries.setdefault(row[1], []).append(entry_info(row, []))
    mode = evidence_mode(conn, bid)

    def of(card_id: int, criteria: str) -> dict[str, Any]:
        runs = links.get(card_id, [])
        try:
            parsed = parse_criteria(criteria or "")
        except ValidationError:
            parsed = []
        verdicts = judge(parsed, [run.evidence() for run in runs],
                         typed_points(entries.get(card_id, [])), mode)
        measured = any(v.met is not None for v in verdicts)
        return {"runs": len(runs), "verdicts": tuple(verdicts),
                "runs_met": all_met(verdicts) if measured else None}

    return of


# --- phases --------------------------------------------------------------------------------------


PHASE_COLUMNS = ("id", "name", "goal", "timebox_seconds", "started_at", "ended_at", "decision",
                 "note", "author", "decided_by")
"""The phase columns a ``PhaseInfo`` is made from, in its order."""
_PHASE = ", ".join(PHASE_COLUMNS)


def phase_info(row: Sequence[Any]) -> PhaseInfo:
    """A phase from its ``PHASE_COLUMNS`` values (a query row, or an ORM object's fields)."""
    return PhaseInfo(*row)


def list_phases(store: Store, board: str = DEFAULT_BOARD) -> list[PhaseInfo]:
    with store.reading() as conn:
        rows = conn.execute(f"SELECT {_PHASE} FROM phase WHERE board_id = ? "
                            "ORDER BY started_at, id", (board_id(conn, board),)).fetchall()
    return [phase_info(r) for r in rows]


def running_phase_in(conn: Sql, bid: int) -> PhaseInfo | None:
    """The board's running phase, read on ``conn`` (a reading, or a write's own)."""
    row = conn.execute(f"SELECT {_PHASE} FROM phase WHERE board_id = ? AND ended_at IS NULL",
                       (bid,)).fetchone()
    return phase_info(row) if row else None


def running_phase(store: Store, board: str = DEFAULT_BOARD) -> PhaseInfo | None:
    with store.reading() as conn:
        return running_phase_in(conn, board_id(conn, board))


def phase_refs(store: Store, board: str) -> list[PhaseRef]:
    """Phases as the retro reads them."""
    return [PhaseRef(p.name, p.goal, p.ended_at, p.decision, p.note, p.decided_by)
            for p in list_phases(store, board)]


def setting_key(board: str, name: str) -> str:
    """The ``meta`` row that keeps setting ``name`` of ``board`` (``settings``)."""
    return f"{name}:{board}"


def board_setting(store: Store, board: str, name: str) -> str | None:
    """The board's setting ``name``, if it keeps one."""
    with store.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?",
                           (setting_key(board, name),)).fetchone()
    return row[0] if row else None
