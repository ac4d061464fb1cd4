"""The command line: argument parsing and printing only; every action is a core call.

Exit status: 0 done; 1 a problem with the data or the file (one line on stderr); 2 a usage
error; 128 + the signal's number when SIGTERM or SIGHUP stopped it. This package must not
import Textual: scripts call it in loops.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from tkanban.cli import completion, stopping
from tkanban.cli.arguments import PROG
from tkanban.cli.context import Context, Opens
from tkanban.cli.parser import build_parser
from tkanban.core.errors import TkanbanError
from tkanban.core.model.text import visible

__all__ = ["PROG", "build_parser", "main"]


def main(argv: Sequence[str] | None = None,
         open_board: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run the command ``argv`` names; with none, ``open_board(args)`` (the program passes
    the board's; without one, the help is printed)."""
    parser = build_parser()
    completion.offer(parser)  # a shell asking for completions is answered, and it ends here
    args = parser.parse_args(argv)
    if args.command is None:
        if open_board is None:
            parser.print_help()
            return 2
        return open_board(args)
    with stopping.caught():
        status = _run(args)
    if stopping.stopped_by:
        name = signal.Signals(stopping.stopped_by[0]).name
        print(f"{PROG}: stopped by {name}; nothing was left half-written", file=sys.stderr)
        return 128 + stopping.stopped_by[0]
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        if args.opens is Opens.NOTHING:
            return int(args.run(args) or 0)
        if args.before is not None:
            args.before(args)
        ctx = Context(args, args.opens, salvage=args.salvage)
        stopping.open_stores.append(ctx.store)
        if stopping.stopped():
            ctx.store.cancel()
        try:
            if ctx.board_chosen and getattr(args, "id", None) is not None:
                from tkanban.core.board.reads import check_on_board

                check_on_board(ctx.store, args.id, ctx.board)
            args.run(ctx, args)
        finally:
            ctx.store.close()
    except TkanbanError as exc:
        if not stopping.stopped():  # else the refusal is the signal's doing, said by main()
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
