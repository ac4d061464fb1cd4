"""Properties that hold for every input, checked by generating many (hypothesis): durations
and exit criteria read back what they wrote, an export imports back to itself, and the lanes
keep their positions dense whatever is moved, reordered, archived, restored and undone."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.undo import CardState, put_card, restore_card
from tkanban.core.model.criteria import Criterion, format_criteria, parse_criteria
from tkanban.core.model.records import LANES
from tkanban.core.model.timebox import MAX_TIMEBOX, UNIT_SECONDS, format_duration, parse_duration
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.transfer.backup import dump, export_json, import_json

SLUGS = [slug for _, slug in LANES]
QUICK = settings(max_examples=60, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


@given(st.integers(min_value=1, max_value=MAX_TIMEBOX // 60).map(lambda m: m * 60))
def test_a_duration_reads_back_as_written(seconds: int) -> None:
    shown = format_duration(seconds)
    assert parse_duration(shown.replace(" ", "")) == seconds
    assert parse_duration(shown) == seconds  # with its spaces too


@given(st.lists(st.tuples(st.integers(1, 20), st.sampled_from(sorted(UNIT_SECONDS))),
                min_size=1, max_size=4))
def test_a_typed_duration_means_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    total = sum(n * UNIT_SECONDS[unit] for n, unit in parts)
    text = "".join(f"{n}{unit}" for n, unit in parts)
    if total <= MAX_TIMEBOX:
        assert parse_duration(text) == total
        assert parse_duration(format_duration(total)) == total


metric_names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.\-/]{0,20}\Z")
targets = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
criteria_lists = st.lists(st.builds(Criterion, metric_names,
                                    st.sampled_from([">=", ">", "<=", "<", "=="]), targets),
                          max_size=5)


@given(criteria_lists)
def test_exit_criteria_read_back_as_written(criteria: list[Criterion]) -> None:
    """What the card form writes (``format_criteria``) is read back the same, to the last
    digit of every target."""
    assert parse_criteria(format_criteria(criteria)) == criteria


boards = st.lists(st.tuples(
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)
    .filter(str.strip),
    st.sampled_from(SLUGS[:-1]),
    st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30),
                      min_size=1, max_size=3).map("\n".join).filter(str.strip), max_size=3),
    st.dictionaries(metric_names, targets, max_size=2)), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(boards)
def test_an_export_imports_back_to_itself(cards: list[tuple[str, str, list[str],
                                                         dict[str, float]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "a.db")
        ops.ensure_board(store, "main")
        for title, lane, notes, metrics in cards:
            card = ops.add_card(store, "main", title, author="ann", lane=lane)
            for note in notes:
                ops.add_log(store, card.id, note, author="bob", metrics=metrics)
        exported = dump(export_json(store))
        store.close()
        again = open_store(Path(folder) / "b.db")
        import_json(again, json.loads(exported))
        assert dump(export_json(again)) == exported
        again.close()


class Lanes(RuleBasedStateMachine):
    """Cards added, moved, reordered, archived, restored, and moves undone, in any order:
    every lane's live cards keep the positions 0, 1, 2 … and no card is lost."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.store: Store = open_store(Path(self.folder.name) / "board.db")
        ops.ensure_board(self.store, "main")
        self.cards: list[int] = []
        self.archived: set[int] = set()
        self.undo: list[tuple[int, CardState]] = []

    def live(self) -> list[int]:
        return [c for c in self.cards if c not in self.archived]

    @rule(lane=st.sampled_from(SLUGS[:-1]))
    def add(self, lane: str) -> None:
        self.cards.append(ops.add_card(self.store, "main", f"card {len(self.cards)}",
                                       author="ann", lane=lane).id)

    @precondition(lambda self: self.live())
    @rule(data=st.data(), lane=st.sampled_from(SLUGS[:-1]), position=st.integers(0, 8))
    def move(self, data: st.DataObject, lane: str, position: int) -> None:
        card = data.draw(st.sampled_from(self.live()))
        before = CardState.of(q.get_card(self.store, card).card)
        ops.move_card(self.store, card, lane, author="ann", position=position)
        self.undo.append((card, before))

    @precondition(lambda self: self.live())
    @rule(data=st.data(), position=st.integers(0, 8))
    def reorder(self, data: st.DataObject, position: int) -> None:
        card = data.draw(st.sampled_from(self.live()))
        before = CardState.of(q.get_card(self.store, card).card)
        ops.reorder_card(self.store, card, position, author="ann")
        self.undo.append((card, before))

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def archive(self, data: st.DataObject) -> None:
        card = data.draw(st.sampled_from(self.live()))
        ops.archive_card(self.store, card, author="ann")
        self.archived.add(card)
        self.undo = [(c, s) for c, s in self.undo if c != card]

    @precondition(lambda self: self.archived)
    @rule(data=st.data())
    def restore(self, data: st.DataObject) -> None:
        card = data.draw(st.sampled_from(sorted(self.archived)))
        restore_card(self.store, card, author="ann")
        self.archived.discard(card)

    @precondition(lambda self: self.undo)
    @rule()
    def undo_last(self) -> None:
        card, state = self.undo.pop()
        put_card(self.store, card, state, author="ann", expected_version=None)

    @invariant()
    def positions_are_dense(self) -> None:
        cards = q.list_cards(self.store, include_archived=True)
        assert sorted(c.id for c in cards) == sorted(self.cards)  # none lost
        assert {c.id for c in cards if c.archived} == self.archived
        by_lane: dict[str, list[int]] = {}
        for card in cards:
            if not card.archived:
                by_lane.setdefault(card.lane_slug, []).append(card.position)
        for lane, positions in by_lane.items():
            assert sorted(positions) == list(range(len(positions))), lane

    def teardown(self) -> None:
        self.store.close()
        self.folder.cleanup()


Lanes.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
test_lanes_stay_dense = Lanes.TestCase
