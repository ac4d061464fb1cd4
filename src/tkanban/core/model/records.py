"""Plain records the core hands both faces: boards, lanes, cards, log entries, snapshots.

Nothing here touches the database or imports SQLAlchemy, so reading a board (``queries``) stays
cheap to import: a script calling ``tkanban list`` in a loop does not pay for the ORM.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from operator import itemgetter
from typing import Any

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import Criterion, parse_criteria
from tkanban.core.model.evidence import (
    DEFAULT_MODE,
    Point,
    RunDetail,
    RunEvidence,
    Verdict,
    against,
    judge,
)
from tkanban.core.model.timebox import iso

LANES = (
    ("To do", "todo"),
    ("Test hypothesis", "test-hypothesis"),
    ("Code review hypothesis", "review-hypothesis"),
    ("Update model", "update-model"),
    ("Code review update model", "review-model"),
    ("Done", "done"),
)
"""The six lanes every new board starts with: (name, slug), in order."""

TODO, DONE = "todo", "done"
KINDS = ("hypothesis", "task")
TRACKER_KINDS = ("link", "run")
"""Log entries whose text is a tracker's (a run's name): they mention nobody."""

DEFAULT_BOARD = "main"


def needs_outcome(kind: str, outcome: str | None, source: str | None, target: str) -> bool:
    """Whether moving a card from the lane ``source`` (None for a new card) to ``target``
    needs an outcome first: a hypothesis enters Done only with one (disproving it counts as
    learning too); a task needs none. The one rule the board and the command line follow."""
    return target == DONE and source != DONE and kind == "hypothesis" and not outcome


RELATIONS = ("blocks", "follows", "relates", "duplicates")
"""How one card can tie to another, read from the first: it blocks the other (which waits
until it is in Done), follows it (grew out of its result), relates to it, or duplicates it."""

SIDES = {"blocks": ("blocks", "blocked-by"), "follows": ("follows", "followed-by"),
         "relates": ("relates-to", "relates-to"), "duplicates": ("duplicates", "duplicated-by")}
"""A relation as each of its two cards says it: (from the first, from the second)."""

PHRASES = {"blocks": ("blocks", False), "blocked-by": ("blocks", True),
           "follows": ("follows", False), "followed-by": ("follows", True),
           "relates-to": ("relates", False), "relates": ("relates", False),
           "duplicates": ("duplicates", False), "duplicated-by": ("duplicates", True)}
"""What a user may say between two cards (``A blocked-by B``): the stored relation, and
whether it reads from B to A."""


def parse_relation(words: str) -> tuple[str, bool]:
    """``blocked by`` / ``blocked-by`` / ``Blocks`` → (stored kind, reversed)."""
    phrase = "-".join(words.lower().replace("_", " ").replace("-", " ").split())
    if phrase not in PHRASES:
        raise ValidationError(
            f"no relation {words!r}: say blocks, blocked-by, follows, followed-by, "
            "relates-to, duplicates or duplicated-by", "relation")
    return PHRASES[phrase]


@dataclass(frozen=True)
class LaneInfo:
    id: int
    name: str
    slug: str
    number: int
    wip_limit: int | None


@dataclass(frozen=True, slots=True)
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
    changed_seq: int = 0
    """The file's change number (``BoardSnapshot.seq``) of the card's last change."""
    labels: tuple[str, ...] = ()
    blocked: str | None = None
    """Why the card is blocked (``tkanban block``); None when it is not."""
    links: tuple[tuple[str, int], ...] = ()
    """Its relations as it says them (``("blocked-by", 12)``), in the order of ``SIDES``."""
    waiting_on: tuple[int, ...] = ()
    """The cards that block it and are not in Done (nor archived): it waits on them."""

    def waiting_warning(self, target: str) -> str | None:
        """What to tell someone putting this card in the lane ``target`` while it waits on
        its blockers (a soft rule, like a WIP limit): None when it waits on nothing, or
        goes (back) to To do."""
        if not self.waiting_on or target == TODO:
            return None
        others = ", ".join(f"#{i}" for i in self.waiting_on)
        return f"#{self.id} waits on {others}, not in Done yet (moved anyway)"

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
            "labels": list(self.labels),
            "blocked": self.blocked,
            "relations": [{"relation": phrase, "card": other} for phrase, other in self.links],
            "waiting_on": list(self.waiting_on),
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
class Related:
    """A card at the other end of a relation, as the card pane lists it."""

    relation: str
    """As the pane's card says it: ``blocked-by``, ``follows`` …"""
    id: int
    title: str
    kind: str
    lane: str
    lane_slug: str
    outcome: str | None
    archived: bool

    def to_json(self) -> dict[str, Any]:
        return {"relation": self.relation, "card": self.id, "title": self.title,
                "kind": self.kind, "lane": self.lane, "outcome": self.outcome,
                "archived": self.archived}


@dataclass(frozen=True)
class LinkInfo:
    """A run linked to a card, as the card pane and ``show`` list it."""

    card_id: int
    ref: str
    name: str
    status: str
    url: str
    metrics: dict[str, float]
    synced_at: float | None
    problems: tuple[str, ...] = ()
    """What was left out or cleaned of the tracker's answer when it was read (``link``)."""
    pinned: bool = False
    """The card is judged on this run alone."""
    detail: RunDetail = field(default_factory=RunDetail)

    @property
    def source(self) -> str:
        return self.ref.split(":", 1)[0]

    def evidence(self) -> RunEvidence:
        return RunEvidence(self.ref, self.name, self.metrics, self.detail,
                           self.detail.ended or self.synced_at or 0.0, self.pinned)

    def to_json(self) -> dict[str, Any]:
        detail = self.detail
        return {"ref": self.ref, "source": self.source, "name": self.name,
                "status": self.status.lower(), "url": self.url, "metrics": self.metrics,
                "synced": self.synced_at is not None, "pinned": self.pinned,
                "params": detail.params, "started": iso(detail.started),
                "ended": iso(detail.ended), "seconds": detail.seconds,
                "commit": detail.commit or None, "history": detail.history_json()}


def struck_entries(entries: Sequence[EntryInfo]) -> set[int]:
    """Entries struck through (undone); a later strike entry can bring one back."""
    out: set[int] = set()
    for entry in entries:
        if entry.kind == "strike":
            target = int(entry.data.get("entry", 0))
            (out.add if entry.data.get("struck") else out.discard)(target)
    return out


def typed_points(entries: Sequence[EntryInfo]) -> list[tuple[str, Point]]:
    """The metrics typed into a log, as evidence (not those a run wrote: a run is evidence
    while it is linked), struck entries left out, oldest first."""
    struck = struck_entries(entries)
    return [(name, Point(value, f"logged by {entry.author} (entry {entry.id})", None, None,
                         entry.at))
            for entry in entries
            if entry.id not in struck and entry.metrics and entry.kind != "run"
            for name, value in entry.metrics.items()]


@dataclass(frozen=True)
class CardDetail:
    card: CardInfo
    entries: list[EntryInfo]
    related: list[Related] = field(default_factory=list)
    chain: list[Related] = field(default_factory=list)
    """The hypotheses this one grew out of (``follows``), the first one first."""
    runs: list[LinkInfo] = field(default_factory=list)
    """The experiment runs linked to it (``runs``)."""
    mode: str = DEFAULT_MODE
    """How its board weighs the evidence (``evidence.MODES``)."""

    @property
    def struck(self) -> set[int]:
        """Entries struck through (undone); a later strike entry can bring one back."""
        return struck_entries(self.entries)

    def typed_metrics(self) -> list[tuple[str, Point]]:
        return typed_points(self.entries)

    @property
    def criteria(self) -> list[Criterion]:
        return parse_criteria(self.card.criteria)

    def verdicts(self) -> list[Verdict]:
        """Each exit criterion judged on the card's evidence (``evidence.judge``)."""
        return judge(self.criteria, [run.evidence() for run in self.runs],
                     self.typed_metrics(), self.mode)

    def to_json(self, now: float) -> dict[str, Any]:
        """The card, its verdicts, runs, log and ties, as ``show --json`` gives them."""
        verdicts = self.verdicts()
        return {**self.card.to_json(now),
                "criteria_status": [verdict.to_json() for verdict in verdicts],
                "evidence": self.mode,
                "against_evidence": against(self.card.outcome, verdicts),
                "runs": [link.to_json() for link in self.runs],
                "log": [entry.to_json() for entry in self.entries],
                "related": [related.to_json() for related in self.related],
                "grew_out_of": [related.to_json() for related in self.chain]}

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

    @cached_property
    def _running(self) -> tuple[list[float], list[CardInfo]]:
        """Deadlines of the running time boxes, soonest first, and their cards (worked out
        once per lane: a board recounts its overdue cards on every change)."""
        running = sorted(((c.deadline, c) for c in self.cards
                          if c.clock_stop is None and c.deadline is not None),
                         key=itemgetter(0))
        return [d for d, _ in running], [c for _, c in running]

    def overdue_cards(self, now: float) -> list[CardInfo]:
        """Cards whose running box ended before ``now``, the longest overdue first."""
        deadlines, cards = self._running
        return cards[:bisect_left(deadlines, now)]


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
        """This snapshot with one card's facts replaced (same lane and place): what a write
        returned, on top of the snapshot that drew it before it was written.

        When the card's change is the file's very next one after this snapshot, nothing else
        changed in between, so the result is the file as it now is and takes that change
        number: a live board then has no lane to read again for its own write."""
        where = self.find(card.id)
        if where is None:
            return self
        li, ci = where
        lanes = list(self.lanes)
        cards = list(lanes[li].cards)
        cards[ci] = card
        lanes[li] = LaneCards(lanes[li].lane, cards, lanes[li].total)
        seq = card.changed_seq if card.changed_seq == self.seq + 1 else self.seq
        return BoardSnapshot(self.board, lanes, seq)

    def overdue_cards(self, now: float) -> list[CardInfo]:
        return [card for lane in self.lanes for card in lane.overdue_cards(now)]

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


@dataclass(frozen=True)
class MentionInfo:
    """A log entry that mentions someone, with its card."""

    entry: EntryInfo
    card_id: int
    card_title: str


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


# --- what the retro reads -------------------------------------------------------------


@dataclass(frozen=True)
class CardHistory:
    """One card and the moments it entered each lane (from its log)."""

    id: int
    title: str
    kind: str
    outcome: str | None
    conclusion: str
    timebox_seconds: int | None
    clock_start: float | None
    clock_stop: float | None
    archived_at: float | None
    lane_slug: str
    visits: list[tuple[float, str]]
    """(time, lane slug) for creation and every move, in time order."""
    extensions: list[tuple[float, str, str]] = field(default_factory=list)
    """(time, author, reason) of every time-box extension."""
    blocks: list[tuple[float, str]] = field(default_factory=list)
    """(time, ``block`` or ``unblock``) of every block put on or taken off, in time order."""
    labels: tuple[str, ...] = ()
    runs: int = 0
    """Experiment runs linked to it."""
    runs_met: bool | None = None
    """Whether its evidence meets all its criteria (None: nothing measured them)."""
    verdicts: tuple[Verdict, ...] = ()
    """Each criterion judged on its evidence (``evidence.judge``)."""


@dataclass(frozen=True)
class LaneRef:
    slug: str
    name: str
    wip_limit: int | None


@dataclass(frozen=True)
class PhaseRef:
    name: str
    goal: str
    ended_at: float | None
    decision: str | None
    note: str
    decided_by: str | None
