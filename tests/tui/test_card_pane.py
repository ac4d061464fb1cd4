"""The card pane: details, relations, archived cards."""

from __future__ import annotations

import pytest

from tests.helpers.board import SIZES, board, links, press, seed
from tests.helpers.screen import screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.relations import relate
from tkanban.core.storage.base import Store
from tkanban.tui.screens.card import CardScreen


@pytest.mark.parametrize("size", SIZES)
async def test_the_card_pane_opens_at_its_top(store: Store, size: tuple[int, int]) -> None:
    card = ops.add_card(store, "main", "a card with a long log", author="ann",
                        timebox_seconds=7200, assignee="bob")
    for i in range(40):
        ops.add_log(store, card.id, f"entry {i}", author="ann")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        text = screen_text(app)
        for fact in ("a card with a long log", "lane", "@bob", "time box"):
            assert fact in text, fact
        assert "entry 39" not in text


async def test_archived_cards_open_and_restore_in_the_board(store: Store) -> None:
    from tkanban.tui.screens.archive import ArchivedScreen

    first, second = seed(store, "first", "second")
    ops.move_card(store, first, "test-hypothesis", author="ann")
    ops.archive_card(store, first, author="ann")
    async with board(store, (80, 24)) as (app, pilot):
        assert "first" not in screen_text(app)
        await press(app, pilot, "A")
        assert isinstance(app.screen, ArchivedScreen) and "#1 first" in screen_text(app)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen) and "first" in screen_text(app)
        await press(app, pilot, "escape", "A", "r")
        assert app.screen is app.board_screen
        assert "restored to Test hypothesis" in screen_text(app)
        assert "first" in screen_text(app)
    card = q.get_card(store, first).card
    assert (card.archived, card.lane_slug, card.position) == (False, "test-hypothesis", 0)
    assert q.get_card(store, first).entries[-1].kind == "restore"


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_relate_from_the_board_and_walk_the_pane(store: Store,
                                                       size: tuple[int, int]) -> None:
    blocker, waiter = seed(store, "Collect [b]labels[/b]", "Train on the labels")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "down", "c")  # on "Train on the labels"
        assert f"Relate #{waiter}" in screen_text(app)
        await pilot.press(*str(blocker))
        await press(app, pilot, "ctrl+s")  # "is blocked by" is the form's first choice
        assert links(store, waiter) == [("blocked-by", blocker)]
        rows = [line for line in screen_lines(app) if f"#{waiter}" in line]
        assert rows and "⧖" in rows[0]  # waits: its blocker is not in Done
        await press(app, pilot, "L")  # moved anyway, with a warning
        assert q.get_card(store, waiter).card.lane_slug == "test-hypothesis"
        assert "waits on #1, not in Done yet" in screen_text(app)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        text = screen_text(app)
        assert "Relations (1)" in text and "blocked by" in text
        assert "Collect [b]labels[/b]" in text  # a title is data, never markup
        assert "waiting   ⧖ on #1" in text
        await press(app, pilot, "enter")  # opens the related card over this one
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == blocker
        assert "blocks" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == waiter
        await press(app, pilot, "d")
        assert links(store, waiter) == []
        assert "Relations (0)" in screen_text(app)
        await press(app, pilot, "u")  # undo puts it back
        assert links(store, waiter) == [("blocked-by", blocker)]
        assert "Relations (1)" in screen_text(app)


async def test_a_loop_is_refused_in_the_form(store: Store) -> None:
    a, b = seed(store, "a", "b")
    async with board(store, (80, 24)) as (app, pilot):
        relate(store, a, "blocks", b, author="ann")  # another process, unseen by this board
        await press(app, pilot, "c")  # on a: "a is blocked by b" closes a loop
        await pilot.press(*str(b))
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "would close a loop" in text and f"Relate #{a}" in text  # the form stays
        await press(app, pilot, "escape")
        assert links(store, a) == [("blocks", b)]


async def test_the_chain_in_the_pane(store: Store) -> None:
    first, second, third = seed(store, "Bigger model", "More data", "Cleaner labels")
    for card_id in (first, second):
        ops.edit_card(store, card_id, author="ann", kind="hypothesis")
    ops.set_outcome(store, first, "invalidated", author="ann")
    ops.set_outcome(store, second, "validated", author="ann")
    relate(store, second, "follows", first, author="ann")
    relate(store, third, "follows", second, author="ann")
    async with board(store, (80, 24)) as (app, pilot):
        await press(app, pilot, "down", "down", "enter")
        lines = screen_lines(app)
        at = next(i for i, line in enumerate(lines) if "Grew out of" in line)
        assert "#1 Bigger model" in lines[at + 1] and "invalidated" in lines[at + 1]
        assert "#2 More data" in lines[at + 2] and "validated" in lines[at + 2]
        assert "#3 this card" in lines[at + 3]
