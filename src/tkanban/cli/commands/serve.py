"""``tkanban serve``: the same board in a browser, through Textual's own web server
(``textual-serve``, the ``serve`` extra), locked to the user who started it (``tkanban.web``).
Each browser tab runs the board as that user."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys

from tkanban.cli.arguments import port, sessions
from tkanban.cli.context import Context, Opens
from tkanban.cli.output import warn
from tkanban.cli.registry import Commands


def register(commands: Commands) -> None:
    p = commands.add(
        "serve", "the board in a web browser (needs tkanban[serve])", cmd_serve,
        Opens.NEW_BOARD,
        epilog="Every browser tab that opens the page runs the board as the user who started "
        "the server, with the same keys and live refresh. The page opens only with the token "
        "in the URL it prints (kept by the browser as a cookie), only from its own origin, and "
        "only for the host names it serves: another web page cannot drive it. No editor or "
        "other process is started by a served board. It listens on 127.0.0.1 only unless "
        "--host says otherwise; whoever has the URL acts as you, and over plain http the token "
        "crosses the network in clear: put a proxy with TLS in front to share it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=port, default=8000, help="port (default: 8000)")
    p.add_argument("--token", metavar="TOKEN",
                   help="the token the page needs (default: $TKANBAN_SERVE_TOKEN, else a new "
                   "random one each start)")
    p.add_argument("--allow-host", metavar="NAME", action="append", default=[],
                   help="another host name the browser may use to reach it (the machine's "
                   "name behind --host 0.0.0.0, say); repeat for more")
    p.add_argument("--max-sessions", type=sessions, default=8, metavar="N",
                   help="boards open in browsers at once, at most (default: 8)")


def cmd_serve(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import TkanbanError, ValidationError
    from tkanban.core.model.text import visible

    try:
        from tkanban.web import GuardedServer, check_token, is_loopback, new_token
    except ImportError:
        raise TkanbanError("the board in a browser needs textual-serve: "
                           "pip install 'tkanban[serve]'") from None
    given = args.token or os.environ.get("TKANBAN_SERVE_TOKEN")
    try:
        token = check_token(given) if given else new_token()
    except ValueError as exc:
        raise ValidationError(str(exc), "token") from None
    # where the board is and who you are go to each tab's board by the environment: a
    # server URL's password must not show in the process list
    os.environ.update(TKANBAN_DB=str(ctx.location), TKANBAN_USER=ctx.user)
    command = [sys.executable, "-m", "tkanban", "--served", "--board", ctx.board]
    if getattr(args, "storage", None):
        command += ["--storage", args.storage]
    server = GuardedServer(shlex.join(command), host=args.host, port=args.port, token=token,
                           title=f"tkanban · {ctx.board}", allow_hosts=args.allow_host,
                           max_sessions=args.max_sessions)
    ctx.store.close()
    # nothing is written from here on: a signal ends the server as it would any server (the
    # command line's own handlers wait for a write to finish, which would never come)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if not is_loopback(args.host):
        warn(f"serving on {args.host}, beyond this machine: whoever has the URL acts as "
             f"{ctx.user}, and over plain http its token crosses the network in clear (put a "
             "proxy with TLS in front)")
    print(visible(f"tkanban: serving board {ctx.board!r} of {ctx.store.label} as {ctx.user}; "
                  f"open {server.open_url} (the token in it is the key: whoever has it acts "
                  "as you); ctrl+c stops it", multiline=False), file=sys.stderr, flush=True)
    try:
        server.serve()
    except OSError as exc:
        raise TkanbanError(f"cannot serve on {args.host}:{args.port} "
                           f"({exc.strerror or exc})") from None
