"""The board filter: ``/`` in the board, ``--filter`` for scripts. Pure.

Words match the title, description and criteria (case-insensitive, all words must match);
``@name`` matches the assignee or author, and cards whose log mentions them (``mentioned``,
the ids the store finds for ``users``); ``kind:hypothesis`` / ``kind:task`` the kind;
``overdue`` cards whose time box has run out; ``blocked`` blocked cards; ``waiting`` cards
whose blockers are not in Done; ``label:data`` cards labelled ``data`` (all labels named must
be on the card).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tkanban.core.model.records import CardInfo


@dataclass(frozen=True)
class CardFilter:
    words: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    overdue: bool = False
    blocked: bool = False
    labels: list[str] = field(default_factory=list)
    waiting: bool = False
    mentioned: frozenset[int] = frozenset()
    """Cards whose research log mentions one of ``users`` (looked up in the store)."""

    @property
    def empty(self) -> bool:
        return not (self.words or self.users or self.kinds or self.overdue or self.blocked
                    or self.labels or self.waiting)

    def matcher(self, now: float) -> Callable[[CardInfo], bool]:
        def match(card: CardInfo) -> bool:
            haystack = f"#{card.id} {card.title} {card.description} {card.criteria}".casefold()
            if not all(word in haystack for word in self.words):
                return False
            people = {(card.assignee or "").casefold(), card.author.casefold()}
            if self.users and card.id not in self.mentioned and not any(
                    user in people for user in self.users):
                return False
            if self.kinds and card.kind not in self.kinds:
                return False
            if self.blocked and not card.blocked:
                return False
            if self.waiting and not card.waiting_on:
                return False
            if any(label not in card.labels for label in self.labels):
                return False
            return not self.overdue or card.overdue(now)

        return match


def parse_filter(text: str) -> CardFilter:
    words, users, kinds, labels, overdue, blocked, waiting = [], [], [], [], False, False, False
    for token in text.split():
        low = token.casefold()
        if low.startswith("@") and len(low) > 1:
            users.append(low[1:])
        elif low.startswith("kind:"):
            value = low[5:]
            kinds.append("hypothesis" if "hypothesis".startswith(value) and value else value)
        elif low.startswith("label:") and len(low) > 6:
            labels.append(low[6:])
        elif low == "overdue":
            overdue = True
        elif low == "blocked":
            blocked = True
        elif low == "waiting":
            waiting = True
        else:
            words.append(low)
    return CardFilter(words, users, kinds, overdue, blocked, labels, waiting)
