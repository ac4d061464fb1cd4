"""Cards, lanes and research logs through the core: adding, moving, positions, versions,
time boxes, outcomes, labels, blocks, filters, snapshots."""

from __future__ import annotations

import pytest

from tests.helpers.clock import StepClock
from tests.helpers.history import HOUR
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.blocked import block_card, unblock_card
from tkanban.core.errors import ConflictError, NotFoundError, ValidationError
from tkanban.core.model.filters import parse_filter
from tkanban.core.model.timebox import parse_duration
from tkanban.core.storage.base import Store


def positions_ok(store: Store) -> None:
    by_lane: dict[str, list[int]] = {}
    for card in q.list_cards(store):
        by_lane.setdefault(card.lane_slug, []).append(card.position)
    for slug, found in by_lane.items():
        assert sorted(found) == list(range(len(found))), slug


def titles(store: Store, lane: str) -> list[str]:
    return [c.title for c in q.list_cards(store, lane=lane)]


def test_add_list_and_lanes_by_number_slug_name(store: Store) -> None:
    a = ops.add_card(store, "main", "A", author="ann")
    ops.add_card(store, "main", "B", author="ann", lane="2")
    ops.add_card(store, "main", "C", author="ann", lane="Code review HYPOTHESIS")
    ops.move_card(store, a.id, "update-model", author="ann")
    assert [(c.title, c.lane_slug) for c in q.list_cards(store)] == [
        ("B", "test-hypothesis"), ("C", "review-hypothesis"), ("A", "update-model")]
    with pytest.raises(ValidationError, match="no lane '9'"):
        ops.move_card(store, a.id, "9", author="ann")


def test_reorder_and_moves_keep_positions_dense(store: Store) -> None:
    ids = [ops.add_card(store, "main", t, author="ann").id for t in "ABCDE"]
    ops.reorder_card(store, ids[3], 0, author="ann")
    assert titles(store, "todo") == ["D", "A", "B", "C", "E"]
    ops.reorder_card(store, ids[3], 10, author="ann")
    assert titles(store, "todo") == ["A", "B", "C", "E", "D"]
    ops.move_card(store, ids[1], "test-hypothesis", author="ann")
    ops.move_card(store, ids[2], "test-hypothesis", author="ann", position=0)
    assert titles(store, "test-hypothesis") == ["C", "B"]
    ops.archive_card(store, ids[0], author="ann")
    assert titles(store, "todo") == ["E", "D"]
    positions_ok(store)


def test_clock_starts_leaving_todo_and_stops_in_done(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "task", author="ann", timebox_seconds=3600)
    assert card.deadline is None
    clock.advance(100)
    card = ops.move_card(store, card.id, 2, author="ann")
    assert card.clock_start == clock.now and card.deadline == clock.now + 3600
    start = clock.now
    clock.advance(4000)
    assert card.overdue(clock.now)
    card = ops.move_card(store, card.id, "todo", author="ann")
    assert card.clock_start == start  # moved back: keeps its clock
    card = ops.move_card(store, card.id, "done", author="ann")
    assert card.clock_stop == clock.now and not card.overdue(clock.now + 10**6)
    assert card.remaining(clock.now) == -400
    card = ops.move_card(store, card.id, "review-model", author="ann")
    assert card.clock_stop is None and card.clock_start == start


def test_hypothesis_needs_outcome_for_done(store: Store) -> None:
    card = ops.add_card(store, "main", "We believe", author="ann", kind="hypothesis",
                        criteria="auc >= 0.8")
    ops.move_card(store, card.id, "test-hypothesis", author="ann")
    with pytest.raises(ValidationError, match="needs an outcome"):
        ops.move_card(store, card.id, "done", author="ann")
    assert q.get_card(store, card.id).card.lane_slug == "test-hypothesis"
    done = ops.move_card(store, card.id, "done", author="ann", outcome="invalidated",
                         conclusion="no gain")
    assert (done.lane_slug, done.outcome, done.conclusion) == ("done", "invalidated", "no gain")
    kinds = [e.kind for e in q.get_card(store, card.id).entries]
    assert kinds == ["create", "move", "outcome", "move"]
    task = ops.add_card(store, "main", "a task", author="ann")
    assert ops.move_card(store, task.id, "done", author="ann").lane_slug == "done"
    with pytest.raises(ValidationError, match="tasks need none"):
        ops.set_outcome(store, task.id, "validated", author="ann")


def test_outcome_recorded_first_then_done(store: Store) -> None:
    card = ops.add_card(store, "main", "H", author="ann", kind="hypothesis")
    ops.set_outcome(store, card.id, "validated", "works", author="ann")
    assert ops.move_card(store, card.id, 6, author="ann").outcome == "validated"


def test_stale_version_is_refused(store: Store) -> None:
    card = ops.add_card(store, "main", "original", author="ann")
    ops.edit_card(store, card.id, author="bob", title="bob's title",
                  expected_version=card.version)
    with pytest.raises(ConflictError, match="changed by bob .*edited title") as info:
        ops.edit_card(store, card.id, author="ann", title="ann's title",
                      expected_version=card.version)
    assert info.value.changed_by == "bob"
    assert q.get_card(store, card.id).card.title == "bob's title"
    again = ops.edit_card(store, card.id, author="ann", title="ann's title",
                          expected_version=info.value.current_version)
    assert again.title == "ann's title"


def test_log_metrics_mentions(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "H", author="ann", kind="hypothesis",
                        criteria="auc >= 0.8 and f1 > 0.5")
    ops.add_log(store, card.id, "first try @bob", author="ann", metrics={"auc": 0.7})
    clock.advance(10)
    ops.add_log(store, card.id, "better, @bobby too", author="ann",
                metrics={"auc": 0.85, "f1": 0.6})
    detail = q.get_card(store, card.id)
    assert [s.met for s in detail.verdicts()] == [True, True]
    assert [m.entry.text for m in q.mentions_of(store, "bob")] == ["first try @bob"]
    assert [m.entry.text for m in q.mentions_of(store, "BOBBY")] == ["better, @bobby too"]
    assert q.mentions_of(store, "dave") == []
    with pytest.raises(ValidationError):
        ops.add_log(store, card.id, "  ", author="ann")
    with pytest.raises(NotFoundError):
        ops.add_log(store, 999, "x", author="ann")


def test_timebox_extension_needs_reason(store: Store) -> None:
    card = ops.add_card(store, "main", "T", author="ann")
    ops.set_timebox(store, card.id, parse_duration("1h"), author="ann")
    ops.move_card(store, card.id, 2, author="ann")
    with pytest.raises(ValidationError, match="say why"):
        ops.set_timebox(store, card.id, parse_duration("2h"), author="ann")
    card = ops.set_timebox(store, card.id, parse_duration("2h"), author="ann",
                           reason="data arrived late")
    assert card.timebox_seconds == 7200
    last = q.get_card(store, card.id).entries[-1]
    assert last.kind == "extend" and "data arrived late" in last.text


def test_validation(store: Store) -> None:
    with pytest.raises(ValidationError, match="title must not be empty"):
        ops.add_card(store, "main", "  ", author="ann")
    with pytest.raises(ValidationError, match="bad criterion"):
        ops.add_card(store, "main", "H", author="ann", kind="hypothesis",
                     criteria="auc >>= banana")
    with pytest.raises(ValidationError, match="only a hypothesis"):
        ops.add_card(store, "main", "T", author="ann", criteria="auc > 1")
    with pytest.raises(ValidationError):
        ops.add_card(store, "main", "bad \x1b[31m", author="ann")
    assert q.list_cards(store) == []


def test_board_snapshot(store: Store) -> None:
    a = ops.add_card(store, "main", "A", author="ann")
    ops.add_card(store, "main", "B", author="ann", lane="done")
    snap = q.load_board(store)
    assert [len(lane.cards) for lane in snap.lanes] == [1, 0, 0, 0, 0, 1]
    assert snap.find(a.id) == (0, 0)


def test_done_shows_recent_first_and_is_cut(store: Store, clock: StepClock) -> None:
    ids = [ops.add_card(store, "main", f"d{i}", author="ann").id for i in range(5)]
    for card_id in ids:
        clock.advance(10)
        ops.move_card(store, card_id, "done", author="ann")
    assert [c.title for c in q.list_cards(store, lane="done")] == ["d4", "d3", "d2", "d1",
                                                                     "d0"]
    positions_ok(store)
    snap = q.load_board(store, done_limit=2)
    done = snap.lanes[5]
    assert [c.title for c in done.cards] == ["d4", "d3"] and done.count == 5
    assert snap.position_of(5, 0) == 4


def test_changes_since_names_changed_cards_and_lanes(store: Store) -> None:
    a = ops.add_card(store, "main", "A", author="ann")
    b = ops.add_card(store, "main", "B", author="ann")
    seq = q.load_board(store).seq
    assert q.changes_since(store, "main", seq) == (seq, {})
    ops.move_card(store, a.id, "update-model", author="bob")
    ops.add_log(store, b.id, "note", author="bob")
    new_seq, changed = q.changes_since(store, "main", seq)
    assert new_seq == seq + 2 and changed == {a.id: "update-model", b.id: "todo"}
    ops.archive_card(store, b.id, author="bob")
    assert q.changes_since(store, "main", new_seq)[1] == {b.id: None}


def test_snapshot_with_move_draws_a_move_before_the_file_has_it(store: Store) -> None:
    ids = [ops.add_card(store, "main", t, author="ann").id for t in "ABC"]
    snap = q.load_board(store)
    moved = snap.with_move(ids[2], 1, 0)
    assert moved is not None
    assert [c.title for c in moved.lanes[0].cards] == ["A", "B"]
    assert [(c.title, c.lane_slug) for c in moved.lanes[1].cards] == [("C", "test-hypothesis")]
    assert (moved.lanes[0].count, moved.lanes[1].count) == (2, 1)
    again = moved.with_move(ids[0], 0, 5)
    assert again is not None and [c.title for c in again.lanes[0].cards] == ["B", "A"]
    assert snap.with_move(999, 0, 0) is None


def test_a_written_move_on_its_drawn_snapshot_is_the_file_unless_another_change_came_between(
        store: Store) -> None:
    ids = [ops.add_card(store, "main", t, author="ann").id for t in "ABC"]
    snap = q.load_board(store)
    shown = snap.with_move(ids[1], 1, 0)
    assert shown is not None
    written = shown.with_card(ops.move_card(store, ids[1], "test-hypothesis", author="ann"))
    fresh = q.load_board(store)
    assert written.seq == fresh.seq
    assert [[(c.id, c.version) for c in lane.cards] for lane in written.lanes] == \
        [[(c.id, c.version) for c in lane.cards] for lane in fresh.lanes]
    # someone else writes between the draw and our write: the snapshot keeps its old number,
    # so the next poll reads what changed
    shown = written.with_move(ids[0], 1, 0)
    assert shown is not None
    ops.add_log(store, ids[2], "from elsewhere", author="bob")
    late = shown.with_card(ops.move_card(store, ids[0], "test-hypothesis", author="ann"))
    assert late.seq == written.seq
    assert set(q.changes_since(store, "main", late.seq)[1]) == {ids[0], ids[2]}


def test_labels_are_cleaned_sorted_and_edited(store: Store) -> None:
    card = ops.add_card(store, "main", "Label claims", author="ann",
                        labels=["Data", "gpu, client-x", "data"])
    assert card.labels == ("client-x", "data", "gpu")
    edited = ops.edit_card(store, card.id, author="bob", labels=["vision"])
    assert edited.labels == ("vision",) and edited.version == card.version + 1
    assert q.get_card(store, card.id).entries[-1].data == {"fields": ["labels"]}
    assert ops.edit_card(store, card.id, author="bob", labels=[]).labels == ()
    for bad in (["no spaces!"], ["-leading"], ["x" * 33], [f"l{i}" for i in range(11)]):
        with pytest.raises(ValidationError):
            ops.add_card(store, "main", "bad", author="ann", labels=bad)


def test_block_and_unblock_are_logged_and_versioned(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "Train on the new labels", author="ann")
    blocked = block_card(store, card.id, "labels from the client", author="ann")
    assert blocked.blocked == "labels from the client" and blocked.version == card.version + 1
    assert block_card(store, card.id, "labels from the client", author="ann") == blocked
    with pytest.raises(ConflictError):
        unblock_card(store, card.id, author="bob", expected_version=card.version)
    clock.advance(2 * HOUR)
    free = unblock_card(store, card.id, author="bob", expected_version=blocked.version)
    assert free.blocked is None
    with pytest.raises(ValidationError, match="is not blocked"):
        unblock_card(store, card.id, author="bob")
    with pytest.raises(ValidationError, match="reason"):
        block_card(store, card.id, "  ", author="ann")
    kinds = [(e.kind, e.author, e.text) for e in q.get_card(store, card.id).entries[1:]]
    assert kinds == [("block", "ann", "blocked: labels from the client"),
                     ("unblock", "bob", "unblocked (was: labels from the client)")]


def test_the_filter_finds_blocked_and_labelled_cards(store: Store) -> None:
    a = ops.add_card(store, "main", "a", author="ann", labels=["data", "gpu"])
    b = ops.add_card(store, "main", "b", author="ann", labels=["data"])
    ops.add_card(store, "main", "c", author="ann")
    block_card(store, b.id, "waiting", author="ann")
    cards = q.list_cards(store, "main")

    def found(text: str) -> list[str]:
        match = parse_filter(text).matcher(store.clock())
        return [card.title for card in cards if match(card)]

    assert found("label:data") == ["a", "b"]
    assert found("label:data label:gpu") == ["a"]
    assert found("blocked") == ["b"]
    assert found("blocked label:gpu") == []
    assert a.id != b.id


def test_cards_mentioning_feeds_the_user_filter(store: Store) -> None:
    from dataclasses import replace

    from tkanban.core.board.reads import cards_mentioning
    from tkanban.core.model.filters import parse_filter

    asked = ops.add_card(store, "main", "asks bob", author="ann")
    ops.add_log(store, asked.id, "@Bob please look", author="ann")
    other = ops.add_card(store, "main", "asks carol", author="ann")
    ops.add_log(store, other.id, "@carol please look", author="ann")
    found = cards_mentioning(store, "main", ["bob"])
    assert found == {asked.id}
    match = replace(parse_filter("@bob"), mentioned=frozenset(found)).matcher(0)
    cards = {c.id: c for c in q.list_cards(store)}
    assert match(cards[asked.id]) and not match(cards[other.id])
