"""Papercuts found when the board was tried as a new user would."""

from __future__ import annotations

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.demo import fill_demo
from tkanban.core.storage.base import Store
from tkanban.tui.forms.card import CardForm
from tkanban.tui.forms.timebox import TimeboxForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.confirm import ConfirmDialog

from .conftest import StepClock, run_cli
from .screen import screen_lines, screen_text
from .test_tui import SIZES, board, press, seed, settle


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


@pytest.mark.parametrize("key", ["enter", "ctrl+s"])
async def test_the_conflict_dialog_acts_on_enter_and_save(store: Store, key: str) -> None:
    (card_id,) = seed(store, "original")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        ops.edit_card(store, card_id, author="bob", description="bob was here")
        form.query_one("#title").value = "alice's title"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, CardForm) and "changed by bob" in screen_text(app)
        await press(app, pilot, key)
        assert not isinstance(app.screen, CardForm)
    detail = q.get_card(store, card_id)
    assert (detail.card.title, detail.card.description) == ("alice's title", "bob was here")


@pytest.mark.parametrize("size", SIZES)
async def test_every_card_shows_its_id(store: Store, size: tuple[int, int]) -> None:
    fill_demo(store, "main")
    async with board(store, size) as (app, pilot):
        text = screen_text(app)
        assert app.board_screen.snapshot is not None
        shown = [card for lane in app.board_screen.snapshot.lanes for card in lane.cards[:2]]
        for card in shown:
            assert f"#{card.id}" in text, card.title


async def test_narrow_lanes_do_not_break_words(store: Store) -> None:
    ops.add_card(store, "main", "We believe DistilBERT helps", author="ann",
                 lane="test-hypothesis")
    async with board(store, (80, 24)) as (app, pilot):
        lines = screen_lines(app)
        cells = [line.split("▕")[1].strip() for line in lines[3:8] if line.count("▕") > 2]
        assert "believ" not in cells and "e" not in cells
        assert any(cell.endswith("…") for cell in cells)


def test_counts_are_worded_for_one_and_many(db_path, tmp_path) -> None:
    run_cli("add", "only card", db=db_path)
    export = tmp_path / "one.json"
    export.write_text(run_cli("export", db=db_path).stdout)
    result = run_cli("import", str(export), db=tmp_path / "copy.db")
    assert result.stdout.strip() == "imported 1 board, 1 card, 1 log entry, 0 phases, 0 relations"


@pytest.mark.parametrize("size", SIZES)
async def test_the_bar_keeps_who_where_and_help_in_view(store: Store, clock: StepClock,
                                                        size: tuple[int, int]) -> None:
    from tkanban.core.board.phases import start_phase

    fill_demo(store, "main")
    start_phase(store, "main", "Proof of concept for the claims team", 7 * 86400, "AUC > 0.8",
                author="po")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l")
        bar = screen_lines(app)[-1]
        where = store.mode.split()[0]  # "local", or "server" for a board on a server
        for part in ("#5 4d", "7d 00:00:00", "overdue", "mention", "@alice", where, "? help"):
            assert part in bar, (part, bar)


def _in_a_terminal(args: list[str], db, editor: str) -> int:
    """Run the command with a terminal on standard input (so that it may open the editor)."""
    import os
    import subprocess

    from .conftest import tkanban_exe

    leader, follower = os.openpty()
    try:
        env = {**os.environ, "EDITOR": editor, "VISUAL": ""}
        return subprocess.run([*tkanban_exe(), "--db", str(db), *args], stdin=follower,
                              capture_output=True, env=env, timeout=60).returncode
    finally:
        os.close(leader)
        os.close(follower)


def test_log_reads_standard_input_and_the_editor(db_path, tmp_path) -> None:
    import json

    run_cli("add", "long text", db=db_path)
    assert run_cli("log", "1", db=db_path, input="piped\nsecond line\n").returncode == 0
    assert run_cli("log", "1", "-", db=db_path, input="dashed").returncode == 0
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in the editor" > "$1"\n')
    editor.chmod(0o755)
    assert _in_a_terminal(["log", "1"], db_path, str(editor)) == 0
    failing = tmp_path / "failing.sh"
    failing.write_text('#!/bin/sh\nprintf "half" > "$1"\nexit 1\n')
    failing.chmod(0o755)
    assert _in_a_terminal(["log", "1"], db_path, str(failing)) == 1
    emptying = tmp_path / "emptying.sh"
    emptying.write_text('#!/bin/sh\n: > "$1"\n')
    emptying.chmod(0o755)
    assert _in_a_terminal(["log", "1"], db_path, str(emptying)) == 1
    assert _in_a_terminal(["edit", "1", "--description"], db_path, str(editor)) == 0
    shown = json.loads(run_cli("show", "1", "--json", db=db_path).stdout)
    notes = [e["text"] for e in shown["log"] if e["kind"] == "note"]
    assert notes == ["piped\nsecond line", "dashed", "written in the editor"]
    assert shown["description"] == "written in the editor"


@pytest.mark.parametrize("script", ["rewrite", "fail"])
async def test_ctrl_e_writes_a_multiline_field_in_the_editor(
        store: Store, tmp_path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
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
        area = app.screen.query_one("#text")
        expected = "from the editor\nline two" if script == "rewrite" else "typed"
        assert area.text == expected
        await press(app, pilot, "ctrl+s")
    notes = [e.text for e in q.get_card(store, card_id).entries if e.kind == "note"]
    assert notes == [expected]


def test_restore_from_the_command_line(db_path) -> None:
    run_cli("add", "first", db=db_path)
    run_cli("add", "second", db=db_path)
    run_cli("move", "1", "2", db=db_path)
    run_cli("archive", "1", db=db_path)
    listed = run_cli("list", "--archived", db=db_path).stdout
    assert "first" in listed and "(archived)" in listed
    assert "first" not in run_cli("list", db=db_path).stdout
    result = run_cli("restore", "1", db=db_path)
    assert result.returncode == 0 and "restored to Test hypothesis, position 1" in result.stdout
    assert "first" in run_cli("list", "--lane", "2", db=db_path).stdout
    again = run_cli("restore", "1", db=db_path)
    assert again.returncode == 1 and "not archived" in again.stderr


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


async def test_the_user_filter_finds_cards_whose_log_mentions_them(store: Store) -> None:
    ops.add_card(store, "main", "bob's task", author="ann", assignee="bob")
    asked = ops.add_card(store, "main", "asks bob", author="ann")
    ops.add_log(store, asked.id, "@bob can you check the labels?", author="ann")
    ops.add_card(store, "main", "nobody's", author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "slash")
        await pilot.press(*"@bob")
        await settle(app, pilot)
        text = screen_text(app)
        assert "bob's task" in text and "asks bob" in text and "nobody's" not in text


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
