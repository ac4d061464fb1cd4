"""Every change as an event with a stable id, written with the change."""

from __future__ import annotations

from tests.helpers.clock import StepClock
from tests.helpers.events import every_change
from tkanban.core.board import cards as ops
from tkanban.core.board.undo import restore_card
from tkanban.core.events import changes as ev
from tkanban.core.storage.base import Store


def types_of(store: Store) -> list[str]:
    return [e.type for e in ev.events_after(store, "main", 0)]


def test_every_change_is_an_event_with_the_card(store: Store, clock: StepClock) -> None:
    a, b = every_change(store)
    clock.advance(3 * 3600)
    assert ops.expire_due(store, "main") == 2  # both boxes ran out
    assert ops.expire_due(store, "main") == 0  # once per box
    found = types_of(store)
    assert set(found) == set(ev.TYPES)
    events = {e.type: e for e in ev.events_after(store, "main", 0)}
    moved = ev.events_after(store, "main", 0)[2].to_json()
    assert (moved["type"], moved["actor"], moved["from"], moved["to"]) == (
        "card.moved", "bob", "todo", "test-hypothesis")
    assert moved["card"]["lane_slug"] == "test-hypothesis" and moved["card"]["id"] == a
    logged = events["log.added"]
    assert logged.mentions == ["carol"] and logged.data["entry"]["metrics"] == {"auc": 0.9}
    wip = events["wip.exceeded"].data
    assert (wip["lane"], wip["count"], wip["limit"], wip["card"]["id"]) == (
        "test-hypothesis", 2, 1, b)
    assert events["outcome.recorded"].data["card"]["outcome"] == "validated"
    assert events["phase.ended"].data["phase"]["decision"] == "go"
    expired = events["timebox.expired"]
    assert expired.actor == "tkanban" and expired.card_id in (a, b)
    ids = [e.id for e in ev.events_after(store, "main", 0)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    ops.set_timebox(store, a, 3 * 3600 + 60, author="bob", reason="more")  # runs again
    assert ops.expire_due(store, "main") == 0
    clock.advance(120)
    assert ops.expire_due(store, "main") == 1


def test_undo_and_restore_into_a_full_lane_say_so(store: Store) -> None:
    from tkanban.core.board.undo import CardState, put_card

    a = ops.add_card(store, "main", "a", author="ann", lane="test-hypothesis")
    b = ops.add_card(store, "main", "b", author="ann", lane="review-hypothesis")
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    back = CardState("test-hypothesis", 0, None, "", None, None)
    put_card(store, b.id, back, author="ann", expected_version=None)  # an undo moving it back
    ops.move_card(store, b.id, "review-hypothesis", author="ann")
    ops.archive_card(store, a.id, author="ann")
    ops.move_card(store, b.id, "test-hypothesis", author="ann")  # fills the lane
    restore_card(store, a.id, author="ann")  # a comes back into it: over the limit
    wip = [e.card_id for e in ev.events_after(store, "main", 0) if e.type == "wip.exceeded"]
    assert wip == [b.id, a.id]
