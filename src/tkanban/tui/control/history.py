"""The session's changes, to take back (``u``) and do again (``U``).

Each change the user makes on the board is recorded with how to undo and redo it; undoing is
a new change written like any other, refused when someone else changed the card since (the
card's version is checked against the one this session last wrote).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tkanban.core.model.records import CardInfo
from tkanban.core.storage.base import Store

LIMIT = 100
"""How many changes can be taken back (at least 50, as promised)."""

Step = Callable[[Store, int | None], Any]
"""A write taking the store and the card version it expects (None: no card to check)."""


@dataclass
class Change:
    what: str
    """As the notice names it: ``move #12 Test hypothesis → Done``."""
    card_id: int | None
    undo: Step
    redo: Step


@dataclass
class History:
    done: list[Change] = field(default_factory=list)
    undone: list[Change] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)
    """Each card's version as this session last wrote it."""

    def saw(self, result: object) -> None:
        if isinstance(result, CardInfo):
            self.versions[result.id] = result.version

    def record(self, change: Change, result: object) -> None:
        """A change just made: it can be undone, and what was undone can no longer be
        redone."""
        self.saw(result)
        self.done.append(change)
        del self.done[:-LIMIT]
        self.undone.clear()

    def expected(self, change: Change) -> int | None:
        return self.versions.get(change.card_id) if change.card_id is not None else None
