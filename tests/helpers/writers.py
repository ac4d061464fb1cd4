"""A writer process for the tests that run several at once, or kill them."""

from __future__ import annotations

import subprocess
import textwrap

WORKER = textwrap.dedent("""
    import sys
    from tkanban.core.board import cards as ops
    from tkanban.core.board import reads as q
    from tkanban.core.storage import open_store

    where, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # waiting long for the lock: eight writers on a busy machine can wait past the command
    # line's 5 s, and these tests are about what they write, not about how long they wait
    store = open_store(where, busy_timeout=60.0)
    ops.ensure_board(store, "main")
    for i in range(count):
        card = ops.add_card(store, "main", f"{name}-{i}", author=name)
        ops.add_log(store, card.id, f"@{name} note {i}", author=name, metrics={"step": i})
        ops.move_card(store, card.id, 1 + (i % 6), author=name, position=i % 3)
        ops.reorder_card(store, card.id, 0, author=name)
        print(i, flush=True)  # one more card written whole: the tests wait on this, not a clock
    print("ok")
""")


def wait_until_writing(proc: subprocess.Popen[str], cards: int = 1) -> None:
    """Return once ``proc`` (running ``WORKER`` with its output piped) has written ``cards``
    cards whole."""
    assert proc.stdout is not None
    for _ in range(cards):
        assert proc.stdout.readline(), "the writer ended before writing"
