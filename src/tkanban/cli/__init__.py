"""The command line: argument parsing and printing only; every action is a core call.

Exit status: 0 done; 1 a problem with the data or the file (one line on stderr); 2 a usage
error; 128 + the signal's number when SIGTERM or SIGHUP stopped it. This package must not
import Textual: scripts call it in loops.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from tkanban.cli.commands import (
    COMMANDS,
    Context,
    _user,
    run_config,
    run_keys,
    settings,
)
from tkanban.cli.files import read_export
from tkanban.cli.parser import PROG, build_parser
from tkanban.user.paths import resolve_db_path

__all__ = ["PROG", "build_parser", "main"]


def _creates(args: argparse.Namespace) -> tuple[bool, bool]:
    """Whether the command may create the board file, and the named board in it. Commands
    that add something to an empty board do; reading never writes, and a command that needs
    a card cannot start a board (a typo in --db would leave a ghost board behind)."""
    command = args.command
    adds = (command in ("add", "demo", "serve")
            or (command, getattr(args, "phase_command", None)) == ("phase", "start")
            or (command, getattr(args, "lane_command", None)) == ("lane", "limit"))
    return adds or command == "import", adds


def open_board(args: argparse.Namespace) -> int:
    """Open the Textual board (imported only here: the command line stays light)."""
    from tkanban.tui.launch import run_board

    config = settings(args, always=True)
    return run_board(
        db=resolve_db_path(getattr(args, "db", None), config.db),
        board=getattr(args, "board", None) or config.board, user=_user(args, config.user),
        storage=getattr(args, "storage", "auto"), config=config,
        sync_interval=args.sync_every, tracking_uri=args.board_tracking_uri,
        served=args.served,
    )


_stopped_by: list[int] = []
_open_stores: list[Any] = []


def _stop(signum: int, frame: object) -> None:
    """SIGTERM or SIGHUP: SQL still to run is refused (a transaction under way rolls back
    whole), and the command exits as soon as its Python code returns. Raising an exception
    here instead could land anywhere, even in a finaliser that would swallow it."""
    _stopped_by.append(signum)
    for store in _open_stores:
        store.cancel()
    net = sys.modules.get("tkanban.core.net")  # loaded only by a command that reaches out
    if net is not None:
        net.PROCESS.close()  # a request under way ends now, however slow its server


def _stop_on_signals() -> dict[int, Any]:
    """Handle SIGTERM and SIGHUP (a closed terminal, a dropped SSH session) so that a write in
    flight is committed or rolled back whole and the command exits cleanly, rather than dying
    between two statements."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return open_board(args)
    _stopped_by.clear()
    net = sys.modules.get("tkanban.core.net")
    if net is not None:  # an earlier command in this process was stopped
        net.PROCESS.reopen()
    previous = _stop_on_signals()
    try:
        status = _run(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _open_stores.clear()
    if _stopped_by:
        name = signal.Signals(_stopped_by[0]).name
        print(f"{PROG}: stopped by {name}; nothing was left half-written", file=sys.stderr)
        return 128 + _stopped_by[0]
    return status


def _run(args: argparse.Namespace) -> int:
    from tkanban.core.errors import TkanbanError

    try:
        if args.command == "keys" or (args.command == "config"
                                      and args.config_command == "path"):  # no board involved
            return run_keys(args) if args.command == "keys" else run_config(args)
        if args.command == "import":
            args.export = read_export(args.file)
        create_file, create_board = _creates(args)
        ctx = Context(args, create=create_file, create_board=create_board,
                      salvage=args.command == "export")
        _open_stores.append(ctx.store)
        if _stopped_by:
            ctx.store.cancel()
        try:
            if ctx.board_chosen and getattr(args, "id", None) is not None:
                from tkanban.core.board.reads import check_on_board

                check_on_board(ctx.store, args.id, ctx.board)
            COMMANDS[args.command](ctx, args)
        finally:
            ctx.store.close()
    except TkanbanError as exc:
        from tkanban.core.model.text import visible

        if not _stopped_by:  # else the refusal is the signal's doing, said once by main()
            print(f"{PROG}: error: {visible(str(exc), multiline=False)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 1
    return 0
