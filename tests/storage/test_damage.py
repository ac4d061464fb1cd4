"""A damaged file, a full disk: a clear error, and what still reads is saved."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.helpers.cli import one_line_error, run_cli
from tests.helpers.disk import fill
from tkanban.core.board import cards as ops
from tkanban.core.storage import open_store


def damage(path: Path, table: str) -> None:
    """Overwrite a leaf page of ``table`` with garbage."""
    conn = sqlite3.connect(path)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND "
                                        "pagetype = 'leaf' ORDER BY pageno", (table,))]
    conn.close()
    data = bytearray(path.read_bytes())
    at = (pages[len(pages) // 2] - 1) * size
    data[at:at + size] = b"\x00\x17" * (size // 2)
    path.write_bytes(data)


def test_export_of_a_damaged_file_saves_what_reads(db_path: Path, tmp_path: Path) -> None:
    store = open_store(db_path)
    ops.ensure_board(store, "main")
    for i in range(80):
        card = ops.add_card(store, "main", f"card {i} " + "x" * 150, author="ann")
        ops.add_log(store, card.id, f"entry for {i}", author="ann")
    store.close()
    damage(db_path, "card")
    assert "damaged" in one_line_error(run_cli("list", db=db_path))
    exported = run_cli("export", db=db_path)
    assert exported.returncode == 0, exported.stderr
    assert "saving what still reads" in exported.stderr and "card:" in exported.stderr
    data = json.loads(exported.stdout)
    cards, log = data["boards"][0]["cards"], data["boards"][0]["log"]
    assert 40 < len(cards) < 80 and len(log) == 2 * len(cards)  # added, and the entry
    rescue = tmp_path / "rescue.json"
    rescue.write_text(exported.stdout)
    imported = run_cli("import", str(rescue), db=tmp_path / "new.db")
    assert imported.returncode == 0, imported.stderr
    assert f"{len(cards)} cards" in imported.stdout
    assert run_cli("check", db=tmp_path / "new.db").returncode == 0


def test_full_disk_is_a_clear_error_and_loses_nothing(small_disk: Path) -> None:
    db = small_disk / "board.db"
    assert run_cli("add", "committed before", db=db).returncode == 0
    filler = fill(small_disk)
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
