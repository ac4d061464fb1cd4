"""A writer process for the tests that run several at once, or kill them."""

from __future__ import annotations

import textwrap

WORKER = textwrap.dedent("""
    import sys
    from tkanban.core.board import cards as ops
    from tkanban.core.board import reads as q
    from tkanban.core.storage import open_store

    where, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(where)
    ops.ensure_board(store, "main")
    for i in range(count):
        card = ops.add_card(store, "main", f"{name}-{i}", author=name)
        ops.add_log(store, card.id, f"@{name} note {i}", author=name, metrics={"step": i})
        ops.move_card(store, card.id, 1 + (i % 6), author=name, position=i % 3)
        ops.reorder_card(store, card.id, 0, author=name)
    print("ok")
""")
