"""What ties cards together: one card blocks another (which waits until the blocker is in
Done), follows it (a hypothesis grown out of another's result), relates to it, or duplicates
it. A relation is a row of its own, written in both cards' logs; ``blocks`` and ``follows``
never close a loop.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from tkanban.core.board.transaction import append_log, card_row
from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.model.records import SIDES, parse_relation
from tkanban.core.model.text import clean_name
from tkanban.core.storage.base import Store
from tkanban.core.storage.tables import Card, Relation

LOOPS = {"blocks": "no card can wait on itself",
         "follows": "a hypothesis cannot grow out of itself"}
"""The relations that must not close a loop, and why."""


def _ends(first: int, words: str, second: int) -> tuple[str, int, int, str]:
    """(stored kind, from, to, the relation as the user said it) for ``first words second``."""
    kind, backwards = parse_relation(words)
    if first == second:
        raise ValidationError(f"a card cannot relate to itself (#{first})", "card")
    source, target = (second, first) if backwards else (first, second)
    if kind == "relates":  # one row for both directions
        source, target = min(source, target), max(source, target)
    said = SIDES[kind][1 if backwards else 0]
    return kind, source, target, said


def _loop(session: Session, kind: str, source: int, target: int) -> list[int] | None:
    """The path from ``target`` back to ``source`` along ``kind``, if there is one: adding
    ``source kind target`` would close it into a loop."""
    came_from: dict[int, int] = {target: target}
    frontier = [target]
    while frontier:
        rows = session.exec(select(Relation.from_id, Relation.to_id).where(
            Relation.kind == kind, col(Relation.from_id).in_(frontier))).all()
        frontier = []
        for here, there in rows:
            if there in came_from:
                continue
            came_from[there] = here
            if there == source:
                path = [source]
                while path[-1] != target:
                    path.append(came_from[path[-1]])
                return path[::-1]
            frontier.append(there)
    return None


def relate(store: Store, first: int, words: str, second: int, *, author: str) -> bool:
    """Tie ``first`` to ``second`` (``relate(store, 3, "blocks", 5)``: #3 blocks #5). Both
    must be live cards of one board. Returns False when they were tied so already."""
    kind, source, target, said = _ends(first, words, second)
    author = clean_name(author, "user name")
    with store.write() as session:
        cards = {cid: card_row(session, cid, for_update=True) for cid in (first, second)}
        if cards[first].board_id != cards[second].board_id:
            raise ValidationError(f"#{first} and #{second} are on different boards", "card")
        if session.get(Relation, (source, kind, target)) is not None:
            return False
        if kind == "duplicates" and session.get(Relation, (target, kind, source)) is not None:
            raise ValidationError(f"#{target} already duplicates #{source}: one of them is "
                                  "the duplicate, not both", "relation")
        if kind in LOOPS and (path := _loop(session, kind, source, target)) is not None:
            steps = ", ".join(f"#{a} {kind} #{b}" for a, b in zip(path, path[1:], strict=False))
            raise ValidationError(f"#{first} {said} #{second} would close a loop ({steps}): "
                                  f"{LOOPS[kind]}", "relation")
        now = store.clock()
        session.add(Relation(from_id=source, kind=kind, to_id=target, author=author, at=now))
        _write_both(session, source, target, kind, author, now, undone=False)
        return True


def unrelate(store: Store, first: int, words: str | None, second: int, *,
             author: str) -> int:
    """Untie ``first`` and ``second``: the relation named by ``words``, or every relation
    between them when None. Returns how many were removed (``NotFoundError`` when none)."""
    author = clean_name(author, "user name")
    if words is not None:
        kind, source, target, said = _ends(first, words, second)
        wanted = [(source, kind, target)]
        missing = f"#{first} does not say it {said} #{second}"
    else:
        if first == second:
            raise ValidationError(f"a card cannot relate to itself (#{first})", "card")
        missing = f"#{first} and #{second} are not related"
    with store.write() as session:
        for cid in (first, second):
            card_row(session, cid)
        if words is None:
            rows = session.exec(select(Relation).where(or_(
                (col(Relation.from_id) == first) & (col(Relation.to_id) == second),
                (col(Relation.from_id) == second) & (col(Relation.to_id) == first)))).all()
            wanted = [(r.from_id, r.kind, r.to_id) for r in rows]
        found = [key for key in wanted if session.get(Relation, key) is not None]
        if not found:
            raise NotFoundError(missing)
        now = store.clock()
        for source, kind, target in found:
            session.execute(delete(Relation).where(
                col(Relation.from_id) == source, col(Relation.kind) == kind,
                col(Relation.to_id) == target))
            _write_both(session, source, target, kind, author, now, undone=True)
        return len(found)


def _write_both(session: Session, source: int, target: int, kind: str, author: str,
                now: float, *, undone: bool) -> None:
    """Log the relation (or its removal) in both cards' logs; both redraw on a live board."""
    for cid, other, side in ((source, target, 0), (target, source, 1)):
        card = session.get(Card, cid)
        assert card is not None
        phrase = SIDES[kind][side].replace("-", " ")
        card.updated_at = now
        append_log(session, card, author, now, "unrelate" if undone else "relate",
             f"{'no longer ' if undone else ''}{phrase} #{other}",
             {"relation": kind, "card": other, "side": "from" if side == 0 else "to"})
    session.flush()
