"""What another process changes appears on the open board; locks and full disks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual.widgets import TextArea

from tests.helpers.board import board, lanes_in_file, press, seed, settle
from tests.helpers.cli import run_cli
from tests.helpers.disk import fill
from tests.helpers.screen import poll_until, screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.relations import relate
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store

HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
""")

pytestmark = pytest.mark.server  # live updates: polled on a file, pushed by a server


def test_a_live_board_hears_that_a_card_no_longer_waits(store: Store) -> None:
    a, b = seed(store, "blocker", "waiter")
    relate(store, a, "blocks", b, author="ann")
    seq = q.load_board(store).seq
    ops.move_card(store, a, "done", author="bob")
    _, changed = q.changes_since(store, "main", seq)
    assert changed == {a: "done", b: "todo"}  # the waiter is redrawn without its mark


async def test_another_process_unblocks_the_board(store: Store) -> None:
    blocker, waiter = seed(store, "blocker", "waiter")
    relate(store, blocker, "blocks", waiter, author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        def marked() -> bool:
            return any("⧖" in line for line in screen_lines(app))

        assert marked()
        ops.move_card(store, blocker, "done", author="bob")
        await poll_until(app, pilot, lambda: not marked())
        assert not marked()


async def test_cli_change_appears_on_the_open_board(db: Path | str, store: Store) -> None:
    seed(store, "mine")
    async with board(store, (120, 35)) as (app, pilot):
        result = await asyncio.to_thread(run_cli, "add", "from bob's shell", db=db,
                                         user="bob")
        assert result.returncode == 0
        await poll_until(app, pilot, lambda: "from bob's shell" in screen_text(app))
        assert "from bob's shell" in screen_text(app)
        assert app.board_screen.current_card.title == "mine"  # focus stays put


async def test_open_card_pane_shows_new_log_entries(db: Path | str, store: Store) -> None:
    (card_id,) = seed(store, "watched")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "enter")
        other = open_store(db)
        ops.add_log(other, card_id, "bob's new finding", author="bob", metrics={"auc": 0.9})
        other.close()
        await poll_until(app, pilot, lambda: "bob's new finding" in screen_text(app))
        assert "bob's new finding" in screen_text(app)


async def test_long_lock_waits_and_applies_the_action(db_path: Path, store: Store) -> None:
    seed(store, "patient")
    async with board(store, (120, 35)) as (app, pilot):
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db_path), "10"],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        await pilot.press("L")
        await pilot.pause(4)
        assert app.is_running
        assert "waiting for the board file" in screen_text(app)
        await asyncio.to_thread(holder.wait, 30)
        await settle(app, pilot)
        assert app.is_running
        assert lanes_in_file(store) == {"test-hypothesis": ["patient"]}
        assert "waiting for the board file" not in screen_lines(app)[-1]


async def test_full_disk_keeps_the_users_edit(small_disk: Path) -> None:
    db = small_disk / "board.db"
    store = open_store(db)
    ops.ensure_board(store)
    seed(store, "card")
    async with board(store, (120, 35)) as (app, pilot):
        filler = fill(small_disk)
        await press(app, pilot, "a")
        form = app.screen
        form.query_one("#text", TextArea).text = "a long finding " * 1000
        await press(app, pilot, "ctrl+s")
        assert app.screen is form  # still open, text kept
        assert "disk is full" in screen_text(app)
        assert form.query_one("#text", TextArea).text.startswith("a long finding")
        filler.unlink()
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
    check = open_store(db)
    assert q.get_card(check, 1).entries[-1].text.startswith("a long finding")
    check.close()


async def test_an_undo_is_seen_live_by_another_board(db: Path | str, store: Store) -> None:
    from tkanban.tui.app import TkanbanApp

    (cid,) = seed(store, "watched")
    other = open_store(db)
    watcher = TkanbanApp(other, "main", "bob", poll_interval=3600)
    async with board(store, (120, 35)) as (app, pilot):
        async with watcher.run_test(size=(120, 35)) as their:
            await settle(watcher, their)
            await press(app, pilot, "L")
            await poll_until(watcher, their,
                             lambda: watcher.board_screen.snapshot.find(cid)[0] == 1)
            assert watcher.board_screen.snapshot.find(cid)[0] == 1
            await press(app, pilot, "u")
            await poll_until(watcher, their,
                             lambda: watcher.board_screen.snapshot.find(cid)[0] == 0)
            assert watcher.board_screen.snapshot.find(cid)[0] == 0
    other.close()
