"""``tkanban serve``: the same board in a browser, through Textual's own web server
(``textual-serve``, the ``serve`` extra). Each browser tab runs the board as the user who
started the server."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tkanban.cli.commands import Context


def cmd_serve(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import TkanbanError
    from tkanban.core.text import visible

    try:
        from textual_serve.server import Server
    except ImportError:
        raise TkanbanError("the board in a browser needs textual-serve: "
                           "pip install 'tkanban[serve]'") from None
    # where the board is and who you are go to each tab's board by the environment: a
    # server URL's password must not show in the process list
    os.environ.update(TKANBAN_DB=str(ctx.location), TKANBAN_USER=ctx.user)
    command = [sys.executable, "-m", "tkanban", "--board", ctx.board]
    if getattr(args, "storage", None):
        command += ["--storage", args.storage]
    url = f"http://{args.host}:{args.port}/"
    print(visible(f"tkanban: serving board {ctx.board!r} of {ctx.store.label} at {url} — "
                  f"whoever can reach this port acts as {ctx.user}; ctrl+c stops it",
                  multiline=False), file=sys.stderr, flush=True)
    ctx.store.close()
    server = Server(shlex.join(command), host=args.host, port=args.port,
                    title=f"tkanban · {ctx.board}")
    server.serve()
