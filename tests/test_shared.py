"""Shared boards: another process's changes, long locks, full disks."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store

from .conftest import run_cli
from .screen import poll_until, screen_lines, screen_text
from .test_tui import board, lanes_in_file, press, seed, settle

HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
""")


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


def _mount_tmpfs(path: Path, size: str) -> bool:
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                            capture_output=True)
    return result.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path):
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not _mount_tmpfs(mount, "600k"):
        pytest.skip("needs root to mount a small tmpfs")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\1" * 1024)
        except OSError:
            pass
    return filler


def test_full_disk_is_a_clear_error_and_loses_nothing(small_disk: Path) -> None:
    db = small_disk / "board.db"
    assert run_cli("add", "committed before", db=db).returncode == 0
    filler = _fill(small_disk)
    result = run_cli("add", "too big", "--description", "x" * 15000, db=db)
    assert result.returncode == 1
    assert "disk is full" in result.stderr and "Traceback" not in result.stderr
    filler.unlink()
    assert run_cli("add", "after freeing space", db=db).returncode == 0
    titles = [line for line in run_cli("list", db=db).stdout.splitlines()]
    assert any("committed before" in t for t in titles)
    assert any("after freeing space" in t for t in titles)
    import sqlite3
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_full_disk_keeps_the_users_edit(small_disk: Path) -> None:
    db = small_disk / "board.db"
    store = open_store(db)
    ops.ensure_board(store)
    seed(store, "card")
    async with board(store, (120, 35)) as (app, pilot):
        filler = _fill(small_disk)
        await press(app, pilot, "a")
        form = app.screen
        form.query_one("#text").text = "a long finding " * 1000
        await press(app, pilot, "ctrl+s")
        assert app.screen is form  # still open, text kept
        assert "disk is full" in screen_text(app)
        assert form.query_one("#text").text.startswith("a long finding")
        filler.unlink()
        await press(app, pilot, "ctrl+s")
        assert app.screen is not form
    check = open_store(db)
    assert q.get_card(check, 1).entries[-1].text.startswith("a long finding")
    check.close()
