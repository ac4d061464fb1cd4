"""Taking a change back in the board (``u``), and doing it again (``U``), as a new change."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.helpers.board import board, lanes_in_file, press, seed
from tests.helpers.clock import StepClock
from tests.helpers.screen import screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.model.records import CardInfo
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store


def card(store: Store, card_id: int) -> CardInfo:
    return q.get_card(store, card_id).card


async def test_undo_and_redo_a_move_and_a_reorder(store: Store) -> None:
    first, second = seed(store, "first", "second")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "L")
        assert card(store, first).lane_slug == "test-hypothesis"
        await press(app, pilot, "u")
        assert card(store, first).lane_slug == "todo"
        assert "undid: move #1 To do → Test hypothesis" in screen_text(app)
        await press(app, pilot, "U")
        assert card(store, first).lane_slug == "test-hypothesis"
        await press(app, pilot, "h", "J")
        assert lanes_in_file(store)["todo"] == ["second"]
        await press(app, pilot, "u", "u")
        assert lanes_in_file(store) == {"todo": ["first", "second"]}
    moves = [e for e in q.get_card(store, first).entries if e.kind == "move"]
    assert [m.data["to"] for m in moves] == ["test-hypothesis", "todo", "test-hypothesis",
                                             "todo"], "every undo is a change of its own"


async def test_undo_an_added_card_archives_it(store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "n")
        await pilot.press(*"fresh idea")
        await press(app, pilot, "ctrl+s")
        (made,) = q.list_cards(store)
        await press(app, pilot, "u")
        assert q.list_cards(store) == [] and card(store, made.id).archived
        await press(app, pilot, "U")
        assert [c.title for c in q.list_cards(store)] == ["fresh idea"]


async def test_undo_an_edit_a_time_box_an_outcome_and_a_wip_limit(store: Store,
                                                                  clock: StepClock) -> None:
    (cid,) = seed(store, "old title")
    ops.edit_card(store, cid, author="ann", kind="hypothesis", criteria="auc > 0.8")
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "e")
        app.screen.query_one("#title", Input).value = "new title"
        await press(app, pilot, "ctrl+s", "u")
        assert card(store, cid).title == "old title"
        await press(app, pilot, "t")
        await pilot.press(*"2d")
        await press(app, pilot, "ctrl+s")
        assert card(store, cid).timebox_seconds == 2 * 86400
        await press(app, pilot, "u")
        assert card(store, cid).timebox_seconds is None
        await press(app, pilot, "o", "down", "enter")  # invalidated
        await press(app, pilot, "ctrl+s")
        assert card(store, cid).outcome == "invalidated"
        await press(app, pilot, "u")
        assert card(store, cid).outcome is None
        await press(app, pilot, "w")
        await pilot.press(*"3")
        await press(app, pilot, "ctrl+s")
        assert q.get_lanes(store)[0].wip_limit == 3
        await press(app, pilot, "u")
        assert q.get_lanes(store)[0].wip_limit is None


async def test_undo_an_archive_and_a_log_entry(store: Store) -> None:
    (cid,) = seed(store, "research")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "a")
        await pilot.press(*"lr 3e-5")
        await press(app, pilot, "tab")
        await pilot.press(*"auc=0.9")
        await press(app, pilot, "ctrl+s", "u")
        detail = q.get_card(store, cid)
        note = next(e for e in detail.entries if e.kind == "note")
        assert note.id in detail.struck and detail.typed_metrics() == []
        strike = detail.entries[-1]
        assert (strike.kind, strike.author) == ("strike", "alice")
        await press(app, pilot, "enter")
        assert "(struck through)" in screen_text(app)
        await press(app, pilot, "escape", "x", "y")
        assert card(store, cid).archived
        await press(app, pilot, "u")
        assert not card(store, cid).archived


@pytest.mark.server  # versions and conflicts, on the server too
async def test_undo_is_refused_after_someone_else_changed_the_card(db: Path | str,
                                                                  store: Store) -> None:
    (cid,) = seed(store, "shared")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "L")
        other = open_store(db)
        ops.move_card(other, cid, "update-model", author="bob")
        other.close()
        await press(app, pilot, "u")
        assert card(store, cid).lane_slug == "update-model", "bob's move stands"
        text = screen_text(app)
        assert "cannot undo move #1" in text and "changed by bob" in text
