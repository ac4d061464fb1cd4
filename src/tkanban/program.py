"""The ``tkanban`` program: with no command it opens the board (``tui``), else it runs the
command (``cli``). The one module above both faces, so that neither imports the other."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from tkanban import cli
from tkanban.cli.context import settings, user_name
from tkanban.user.paths import resolve_db_path


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, open_board=open_board)


def open_board(args: argparse.Namespace) -> int:
    """Open the Textual board."""
    # here, not at the top: Textual and the board's screens take ~0.3 s to import, which
    # every command would pay for nothing
    from tkanban.tui.launch import run_board

    config = settings(args, always=True)
    return run_board(
        db=resolve_db_path(getattr(args, "db", None), config.db),
        board=getattr(args, "board", None) or config.board,
        user=user_name(args, config.user), storage=getattr(args, "storage", "auto"),
        config=config, sync_interval=args.sync_every, tracking_uri=args.board_tracking_uri,
        served=args.served,
    )
