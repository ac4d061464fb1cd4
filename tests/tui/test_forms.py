"""The board's forms: new card, edit, log, outcome, conflicts, the editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select, TextArea

from tests.helpers.board import SIZES, board, press, seed, settle
from tests.helpers.clock import StepClock
from tests.helpers.screen import screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage.base import Store
from tkanban.tui.forms.card import CardForm
from tkanban.tui.forms.log import LogForm
from tkanban.tui.forms.timebox import TimeboxForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.confirm import ConfirmDialog


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_block_from_the_board_and_see_labels(store: Store, size: tuple[int, int]) -> None:
    (cid,) = seed(store, "Retrain")
    ops.edit_card(store, cid, author="ann", labels=["data", "gpu"])
    async with board(store, size) as (app, pilot):
        assert "‹data›" in screen_text(app)
        await press(app, pilot, "b")
        assert "Block #1" in screen_text(app)
        await pilot.press(*"GPU slot")
        await press(app, pilot, "ctrl+s")
        assert q.get_card(store, cid).card.blocked == "GPU slot"
        card_rows = [line for line in screen_lines(app) if "#1" in line]
        assert card_rows and "⊘" in card_rows[0]
        await press(app, pilot, "u")  # undo: unblocked again
        assert q.get_card(store, cid).card.blocked is None
        await press(app, pilot, "U")  # redo
        assert q.get_card(store, cid).card.blocked == "GPU slot"
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "GPU slot" in text and "data, gpu" in text
        await press(app, pilot, "b")  # in the card pane: unblocks at once
        assert q.get_card(store, cid).card.blocked is None


async def test_labels_in_the_card_form(store: Store) -> None:
    (cid,) = seed(store, "Retrain")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        labels = form.query_one("#labels", Input)
        labels.value = "vision, Data"  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        assert q.get_card(store, cid).card.labels == ("data", "vision")
        assert "‹data› ‹vis" in screen_text(app)  # truncated to the lane, the log count kept


async def test_text_refused_after_editing_stays_in_the_form(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers.board import board, press, seed
    from tests.helpers.screen import screen_text
    from tkanban.tui.forms.log import LogForm

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "kept \\033[31m red" > "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    (card_id,) = seed(store, "card")
    async with board(store, (80, 24)) as (app, pilot):
        await press(app, pilot, "a")
        await press(app, pilot, "ctrl+e")
        area = app.screen.query_one("#text", TextArea)
        assert area.text == "kept \x1b[31m red"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, LogForm)  # refused: the form stays, with the text
        assert area.text == "kept \x1b[31m red"
        assert "U+001B" in screen_text(app)
    assert [e for e in q.get_card(store, card_id).entries if e.kind == "note"] == []


@pytest.mark.parametrize("command", ['vim "x', "/nonexistent/editor"])
async def test_a_bad_editor_in_the_board_is_a_notice(
        store: Store, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    from tests.helpers.board import board, press, seed
    from tests.helpers.screen import screen_text
    from tkanban.tui.forms.log import LogForm

    monkeypatch.setenv("EDITOR", command)
    monkeypatch.delenv("VISUAL", raising=False)
    seed(store, "card")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "a")
        await pilot.press(*"typed")
        await press(app, pilot, "ctrl+e")
        assert isinstance(app.screen, LogForm)
        assert app.screen.query_one("#text", TextArea).text == "typed"
        assert "EDITOR" in screen_text(app) or "cannot be started" in screen_text(app)


async def test_escape_on_the_wrap_up_prompt_changes_nothing(store: Store,
                                                           clock: StepClock) -> None:
    card = ops.add_card(store, "main", "boxed", author="ann", kind="hypothesis",
                        timebox_seconds=60)
    ops.move_card(store, card.id, 2, author="ann")
    clock.advance(120)
    before = q.get_card(store, card.id)
    async with board(store, (120, 35), clock=clock) as (app, pilot):
        await press(app, pilot, "l", "enter")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CardScreen), "escape cancels: no extend form"
        assert not isinstance(app.screen, TimeboxForm)
        await press(app, pilot, "escape", "enter")
        assert isinstance(app.screen, CardScreen), "asked once, not each time the card opens"
    after = q.get_card(store, card.id)
    assert (after.card.version, len(after.entries)) == (before.card.version, len(before.entries))


async def edit_while_bob_edits(app, pilot, store: Store, card_id: int) -> None:  # type: ignore[no-untyped-def]
    """alice retitles the card in the form while bob changes it: her save meets the
    conflict dialog."""
    await press(app, pilot, "e")
    form = app.screen
    ops.edit_card(store, card_id, author="bob", description="bob was here")
    form.query_one("#title", Input).value = "alice's title"
    await press(app, pilot, "ctrl+s")
    assert isinstance(app.screen, CardForm) and "changed by bob" in screen_text(app)


@pytest.mark.parametrize("key", ["enter", "ctrl+s"])
async def test_the_conflict_dialog_acts_on_enter_and_save(store: Store, key: str) -> None:
    (card_id,) = seed(store, "original")
    async with board(store, (120, 35)) as (app, pilot):
        await edit_while_bob_edits(app, pilot, store, card_id)
        await press(app, pilot, key)
        assert not isinstance(app.screen, CardForm)
    detail = q.get_card(store, card_id)
    assert (detail.card.title, detail.card.description) == ("alice's title", "bob was here")


@pytest.mark.parametrize("script", ["rewrite", "fail"])
async def test_ctrl_e_writes_a_multiline_field_in_the_editor(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    from tkanban.tui.forms.log import LogForm

    editor = tmp_path / "editor.sh"
    body = ('printf "from the editor\\nline two\\n" > "$1"' if script == "rewrite"
            else 'printf "half" > "$1"; exit 1')
    editor.write_text(f"#!/bin/sh\n{body}\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    (card_id,) = seed(store, "card")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "a")
        assert isinstance(app.screen, LogForm)
        await pilot.press(*"typed")
        await press(app, pilot, "ctrl+e")
        area = app.screen.query_one("#text", TextArea)
        expected = "from the editor\nline two" if script == "rewrite" else "typed"
        assert area.text == expected
        await press(app, pilot, "ctrl+s")
    notes = [e.text for e in q.get_card(store, card_id).entries if e.kind == "note"]
    assert notes == [expected]


@pytest.mark.parametrize("size", SIZES)
async def test_new_card_form(store: Store, size: tuple[int, int]) -> None:
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l", "l", "l", "n")  # Update model: a task
        assert isinstance(app.screen, CardForm)
        await press(app, pilot, "ctrl+s")
        assert "title must not be empty" in screen_text(app)
        assert q.list_cards(store) == []
        await pilot.press(*"Ship the API")
        await press(app, pilot, "tab")  # title → time box (criteria are for hypotheses)
        await pilot.press(*"5x")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardForm)
        assert "bad time box '5x'" in screen_text(app)
        assert q.list_cards(store) == []
        for _ in range(2):
            await pilot.press("backspace")
        await pilot.press(*"2d")
        await press(app, pilot, "enter")
        assert not isinstance(app.screen, CardForm)
        cards = q.list_cards(store)
        assert [(c.title, c.lane_slug, c.timebox_seconds, c.author) for c in cards] == [
            ("Ship the API", "update-model", 172800, "alice")]
        assert "Ship the API" in screen_text(app)


async def test_new_hypothesis_with_criteria_validated_as_you_type(store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, CardForm)
        form.query_one("#kind", Select).value = "hypothesis"
        await settle(app, pilot)
        form.query_one("#title", Input).focus()
        await pilot.press(*"We believe X")
        form.query_one("#criteria", Input).focus()
        await pilot.press(*"auc >>= banana")
        await settle(app, pilot)
        assert "bad criterion" in screen_text(app)
        await press(app, pilot, "ctrl+s")
        assert q.list_cards(store) == []
        form.query_one("#criteria", Input).value = "auc >= 0.8 and f1 > 0.5"
        await press(app, pilot, "ctrl+s")
        card = q.list_cards(store)[0]
        assert (card.kind, card.criteria) == ("hypothesis", "auc >= 0.8 and f1 > 0.5")


@pytest.mark.parametrize("size", SIZES)
async def test_escape_cancels_a_form(store: Store, size: tuple[int, int]) -> None:
    seed(store, "keep me")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "e")
        await pilot.press("ctrl+a", *"changed")
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, CardForm)
        assert q.list_cards(store)[0].title == "keep me"


@pytest.mark.parametrize("size", SIZES)
async def test_edit_card(store: Store, size: tuple[int, int]) -> None:
    seed(store, "old title")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        form.query_one("#title", Input).value = "new title"
        await press(app, pilot, "ctrl+s")
        assert q.list_cards(store)[0].title == "new title"
        assert "new title" in screen_text(app)


async def test_stale_edit_is_refused_then_reapplied(store: Store) -> None:
    (card_id,) = seed(store, "original")
    async with board(store, (120, 35)) as (app, pilot):
        await edit_while_bob_edits(app, pilot, store, card_id)
        assert q.get_card(store, card_id).card.title == "original"
        await pilot.click("#reapply")
        await settle(app, pilot)
        detail = q.get_card(store, card_id)
        assert (detail.card.title, detail.card.description) == ("alice's title", "bob was here")


@pytest.mark.parametrize("size", SIZES)
async def test_log_entry_and_detail(store: Store, size: tuple[int, int]) -> None:
    seed(store, "research")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "a")
        assert isinstance(app.screen, LogForm)
        await pilot.press(*"tried lr 3e-5 @bob")
        await press(app, pilot, "tab")
        await pilot.press(*"auc=0.83")
        await press(app, pilot, "ctrl+s")
        entries = q.get_card(store, 1).entries
        assert (entries[-1].text, entries[-1].metrics, entries[-1].author) == (
            "tried lr 3e-5 @bob", {"auc": 0.83}, "alice")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        text = screen_text(app)
        assert "tried lr 3e-5 @bob" in text and "auc = 0.83" in text and "Research log (2)" \
            in text
        await press(app, pilot, "a")
        await pilot.press(*"from the pane")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardScreen)
        assert "from the pane" in screen_text(app)
        await press(app, pilot, "escape")
        assert app.screen is app.board_screen


@pytest.mark.parametrize("size", SIZES)
async def test_archive_asks_first(store: Store, size: tuple[int, int]) -> None:
    seed(store, "keep", "drop")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "x")
        assert isinstance(app.screen, ConfirmDialog)
        await press(app, pilot, "n")
        assert len(q.list_cards(store)) == 2
        await press(app, pilot, "j", "x", "y")
        assert [c.title for c in q.list_cards(store)] == ["keep"]
        assert "drop" not in screen_text(app)


async def test_a_new_card_in_a_hypothesis_lane_is_a_hypothesis_and_errors_clear(
        store: Store) -> None:
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "n")  # in To do: a task, with a task's placeholder
        assert isinstance(app.screen, CardForm)
        assert app.screen.query_one("#kind", Select).value == "task"
        assert "We believe" not in app.screen.query_one("#title", Input).placeholder
        await press(app, pilot, "escape", "l", "n")  # in Test hypothesis: a hypothesis
        assert app.screen.query_one("#kind", Select).value == "hypothesis"
        assert "We believe" in app.screen.query_one("#title", Input).placeholder
        await press(app, pilot, "ctrl+s")
        assert "title must not be empty" in screen_text(app)
        await pilot.press(*"We believe")
        await settle(app, pilot)
        assert "must not be empty" not in screen_text(app)
