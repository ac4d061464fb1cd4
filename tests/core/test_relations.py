"""What ties cards together: blocks, follows, relates, duplicates; waiting; loops refused."""

from __future__ import annotations

import pytest

from tests.helpers.board import links, seed
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.relations import relate, unrelate
from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.model.filters import parse_filter
from tkanban.core.storage.base import Store


def test_each_relation_reads_from_both_cards(store: Store) -> None:
    a, b, c, d = seed(store, "Collect labels", "Train on them", "Baseline", "Baseline again")
    assert relate(store, a, "blocks", b, author="ann")
    assert relate(store, b, "follows", c, author="ann")
    assert relate(store, c, "relates to", a, author="ann")
    assert relate(store, d, "duplicates", c, author="ann")
    assert not relate(store, b, "blocked by", a, author="bob")  # the same tie, said backwards
    assert links(store, a) == [("blocks", b), ("relates-to", c)]
    assert links(store, b) == [("blocked-by", a), ("follows", c)]
    assert links(store, c) == [("followed-by", b), ("relates-to", a), ("duplicated-by", d)]
    assert links(store, d) == [("duplicates", c)]
    logged = [(e.kind, e.text) for e in q.get_card(store, b).entries[1:]]
    assert logged == [("relate", "blocked by #1"), ("relate", "follows #3")]
    listed = {card.id: card.to_json(store.clock()) for card in q.list_cards(store)}
    assert listed[b]["relations"] == [{"relation": "blocked-by", "card": a},
                                      {"relation": "follows", "card": c}]
    assert listed[b]["waiting_on"] == [a] and listed[a]["waiting_on"] == []


def test_a_card_waits_until_its_blockers_are_done(store: Store) -> None:
    a, b, c = seed(store, "labels", "GPU slot", "train")
    relate(store, c, "blocked-by", a, author="ann")
    relate(store, c, "blocked-by", b, author="ann")
    assert q.get_card(store, c).card.waiting_on == (a, b)
    ops.move_card(store, a, "done", author="ann")
    assert q.get_card(store, c).card.waiting_on == (b,)
    ops.archive_card(store, b, author="ann")  # off the board: nothing to wait on
    assert q.get_card(store, c).card.waiting_on == ()
    moved = ops.move_card(store, a, "todo", author="ann")  # back out of Done: waits again
    assert moved.links == (("blocks", c),)
    card = q.get_card(store, c).card
    assert card.waiting_on == (a,)
    assert card.waiting_warning("test-hypothesis") == (
        f"#{c} waits on #{a}, not in Done yet (moved anyway)")
    assert card.waiting_warning("todo") is None
    match = parse_filter("waiting").matcher(store.clock())
    assert [x.id for x in q.list_cards(store) if match(x)] == [c]
    assert ops.move_card(store, c, "test-hypothesis", author="ann").waiting_on == (a,)


def test_loops_and_nonsense_are_refused(store: Store) -> None:
    a, b, c = seed(store, "a", "b", "c")
    relate(store, a, "blocks", b, author="ann")
    relate(store, b, "blocks", c, author="ann")
    with pytest.raises(ValidationError, match=r"#3 blocks #1 would close a loop \(#1 blocks "
                       r"#2, #2 blocks #3\): no card can wait on itself"):
        relate(store, c, "blocks", a, author="ann")
    with pytest.raises(ValidationError, match="would close a loop"):
        relate(store, a, "blocked by", c, author="ann")
    relate(store, b, "follows", a, author="ann")
    with pytest.raises(ValidationError, match="cannot grow out of itself"):
        relate(store, a, "follows", b, author="ann")
    relate(store, a, "duplicates", c, author="ann")
    with pytest.raises(ValidationError, match="not both"):
        relate(store, c, "duplicates", a, author="ann")
    with pytest.raises(ValidationError, match="itself"):
        relate(store, a, "relates-to", a, author="ann")
    with pytest.raises(ValidationError, match="no relation 'causes'"):
        relate(store, a, "causes", b, author="ann")
    with pytest.raises(NotFoundError, match="no card #99"):
        relate(store, a, "blocks", 99, author="ann")
    ops.archive_card(store, c, author="ann")
    with pytest.raises(NotFoundError, match="archived"):
        relate(store, b, "relates to", c, author="ann")
    ops.ensure_board(store, "other")
    elsewhere = ops.add_card(store, "other", "far away", author="ann").id
    with pytest.raises(ValidationError, match="different boards"):
        relate(store, a, "relates to", elsewhere, author="ann")
    assert links(store, a) == [("blocks", b), ("followed-by", b), ("duplicates", c)]


def test_unrelate_one_or_all(store: Store) -> None:
    a, b = seed(store, "a", "b")
    relate(store, a, "blocks", b, author="ann")
    relate(store, b, "relates to", a, author="ann")
    with pytest.raises(NotFoundError, match="#1 does not say it follows #2"):
        unrelate(store, a, "follows", b, author="ann")
    assert unrelate(store, b, "blocked-by", a, author="bob") == 1
    assert links(store, a) == [("relates-to", b)]
    assert unrelate(store, a, None, b, author="bob") == 1
    assert links(store, a) == links(store, b) == []
    with pytest.raises(NotFoundError, match="not related"):
        unrelate(store, a, None, b, author="bob")
    assert q.get_card(store, b).entries[-1].text == "no longer relates to #1"


def test_the_follows_chain_has_the_outcomes(store: Store) -> None:
    first, second, third, other = seed(store, "Bigger model", "More data", "Cleaner labels",
                                       "side idea")
    for card_id in (first, second, third, other):
        ops.edit_card(store, card_id, author="ann", kind="hypothesis")
    ops.set_outcome(store, first, "invalidated", "no gain", author="ann")
    ops.set_outcome(store, second, "validated", author="ann")
    relate(store, second, "follows", first, author="ann")
    relate(store, third, "follows", second, author="ann")
    relate(store, third, "follows", other, author="ann")  # the oldest one is the chain
    detail = q.get_card(store, third)
    assert [(c.id, c.outcome) for c in detail.chain] == [(first, "invalidated"),
                                                         (second, "validated")]
