"""Making every kind of change, for the tests of events."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tkanban.core.board import cards as ops
from tkanban.core.board.blocked import block_card, unblock_card
from tkanban.core.board.phases import end_phase, start_phase
from tkanban.core.board.relations import relate, unrelate
from tkanban.core.board.undo import restore_card, strike_entry
from tkanban.core.runs.sync import link_run, pin_run, sync_one, unlink_run
from tkanban.core.storage.base import Store


def every_change(store: Store) -> tuple[int, int]:
    """Make one change of every kind (a time box running out aside); the two cards' ids."""
    a = ops.add_card(store, "main", "We believe X", author="ann", kind="hypothesis",
                     timebox_seconds=3600)
    b = ops.add_card(store, "main", "Y", author="ann")
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    ops.move_card(store, a.id, "test-hypothesis", author="bob")
    ops.move_card(store, b.id, "test-hypothesis", author="bob")  # over the limit
    ops.edit_card(store, b.id, author="ann", title="Y2")
    ops.set_timebox(store, b.id, 3600, author="ann")
    entry = ops.add_log(store, a.id, "auc up, @Carol see", author="bob", metrics={"auc": 0.9})
    strike_entry(store, entry.id, struck=True, author="bob")
    ops.set_timebox(store, a.id, 7200, author="bob", reason="labels late")
    block_card(store, b.id, "GPU", author="ann")
    unblock_card(store, b.id, author="ann")
    relate(store, a.id, "blocks", b.id, author="ann")
    unrelate(store, a.id, None, b.id, author="ann")
    ops.set_outcome(store, a.id, "validated", "shipped", author="ann")
    ops.archive_card(store, b.id, author="ann")
    restore_card(store, b.id, author="ann")
    start_phase(store, "main", "PoC", 86400, "auc > 0.8", author="po")
    end_phase(store, "main", "go", "good", author="po")
    metrics = Path(tempfile.mkdtemp()) / "metrics.json"
    metrics.write_text('{"auc": 0.9}')
    link = link_run(store, b.id, f"dvclive:{metrics}", author="ann")
    sync_one(store, link)
    pin_run(store, b.id, link.ref, author="ann")
    pin_run(store, b.id, None, author="ann")
    unlink_run(store, b.id, link.ref, author="ann")
    return a.id, b.id
