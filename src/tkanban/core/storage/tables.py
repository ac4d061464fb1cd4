"""The tables of a board file, as SQLModel classes.

The schema itself is created and upgraded by the migrations in ``store``; these classes map it
for queries, and a test checks that the two agree. Times are UTC epoch seconds (REAL).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from tkanban.core.model.records import DONE, KINDS, LANES, TODO

__all__ = ["DONE", "KINDS", "LANES", "TODO", "Board", "Card", "Lane", "LogEntry", "Mention",
           "Meta", "Phase", "Relation", "Event", "Delivery", "RunLink"]


class Meta(SQLModel, table=True):
    """Key/value facts about the file, such as the tkanban version a newer schema requires."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Board(SQLModel, table=True):
    __tablename__ = "board"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: float


class Lane(SQLModel, table=True):
    __tablename__ = "lane"
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id")
    name: str
    slug: str
    position: int
    wip_limit: int | None = None


class Card(SQLModel, table=True):
    __tablename__ = "card"
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id")
    lane_id: int = Field(foreign_key="lane.id")
    kind: str = "task"
    title: str
    description: str = ""
    criteria: str = ""
    outcome: str | None = None
    conclusion: str = ""
    timebox_seconds: int | None = None
    clock_start: float | None = None
    clock_stop: float | None = None
    author: str
    assignee: str | None = None
    position: int
    archived: bool = False
    created_at: float
    updated_at: float
    version: int = 1
    log_count: int = 0
    changed_seq: int = 0
    labels: str = ""
    """Space-separated, sorted (``text.clean_labels``)."""
    blocked: str | None = None
    """Why the card is blocked; None when it is not."""


class LogEntry(SQLModel, table=True):
    """One line of a card's research log. Moves, time-box changes and outcomes are entries too."""

    __tablename__ = "log_entry"
    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="card.id")
    author: str
    at: float
    kind: str = "note"
    text: str = ""
    data: str = "{}"
    metrics: str = "{}"


class Mention(SQLModel, table=True):
    __tablename__ = "mention"
    entry_id: int = Field(foreign_key="log_entry.id", primary_key=True)
    user: str = Field(primary_key=True)


class Phase(SQLModel, table=True):
    """A board-level time box with a goal, closed by a go/stop decision."""

    __tablename__ = "phase"
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id")
    name: str
    goal: str = ""
    timebox_seconds: int
    started_at: float
    ended_at: float | None = None
    decision: str | None = None
    note: str = ""
    author: str
    decided_by: str | None = None


class Relation(SQLModel, table=True):
    """One card's tie to another, read from ``from_id``: it blocks, follows (grew out of),
    relates to or duplicates ``to_id`` (``relations``)."""

    __tablename__ = "relation"
    from_id: int = Field(foreign_key="card.id", primary_key=True)
    kind: str = Field(primary_key=True)
    to_id: int = Field(foreign_key="card.id", primary_key=True)
    author: str
    at: float


class Event(SQLModel, table=True):
    """A change as watchers hear of it (``events``): its payload holds the card as
    ``list --json`` shows it right after the change."""

    __tablename__ = "event"
    id: int | None = Field(default=None, primary_key=True)
    board_id: int = Field(foreign_key="board.id")
    type: str
    at: float
    actor: str
    card_id: int | None = None
    data: str = "{}"
    once: str | None = None
    """Set for events that must happen once (a time box running out): unique."""


class Delivery(SQLModel, table=True):
    """Where a named watcher (``tkanban watch --name``) has delivered up to."""

    __tablename__ = "delivery"
    board_id: int = Field(foreign_key="board.id", primary_key=True)
    name: str = Field(primary_key=True)
    event_id: int
    updated_at: float


class RunLink(SQLModel, table=True):
    """An experiment run (``mlflow:RUN_ID``) or a metrics file (``dvclive:PATH``) that tests
    a card, with what the last sync saw of it (``runs``)."""

    __tablename__ = "run_link"
    card_id: int = Field(foreign_key="card.id", primary_key=True)
    ref: str = Field(primary_key=True)
    author: str
    at: float
    name: str = ""
    status: str = ""
    url: str = ""
    seen: str = "{}"
    """The metrics as last synced, ``{"name": value}``: a sync logs only what differs."""
    synced_at: float | None = None
    pinned: bool = False
    """The card is judged on this run alone (``tkanban pin``)."""
    detail: str = "{}"
    """What the last sync read besides the metrics (``runs.evidence.RunDetail``): each
    criterion metric's history, the params, start and end, the git commit."""
