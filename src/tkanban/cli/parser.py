"""The command line's parser: the options every command takes, and every command, added by
the module that defines it (``commands/*``, each with its ``register``)."""

from __future__ import annotations

import argparse
import sys

from tkanban import __version__
from tkanban.cli.arguments import PROG, seconds
from tkanban.cli.commands import (
    agents,
    board,
    cards,
    events,
    files,
    relations,
    runs,
    serve,
    settings,
)
from tkanban.cli.context import Opens
from tkanban.cli.output import usage_error
from tkanban.cli.registry import Commands

MODULES = (cards, relations, runs, files, events, board, serve, agents, settings)
"""The command modules, in the order ``--help`` lists their commands."""


def common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("board file")
    group.add_argument("--db", metavar="PATH|URL", default=argparse.SUPPRESS,
                       help="board file, or a PostgreSQL database as postgresql://user@host/db "
                            "(needs tkanban[postgres]; default: $TKANBAN_DB, else the user data "
                            "folder)")
    group.add_argument("--board", metavar="NAME", default=argparse.SUPPRESS,
                       help="board inside the file or database (default: main)")
    group.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                       help="who you are (default: $TKANBAN_USER, else your login)")
    group.add_argument("--storage", choices=["auto", "local", "network"],
                       default=argparse.SUPPRESS,
                       help="where the file lives: detected from the mount table and sync-tool "
                       "markers (auto), or forced; local also trusts the file's locking where "
                       "auto would open it read-only (sshfs, nolock, a sync folder: use it when "
                       "only this machine writes); network polls less often and waits longer "
                       "for locks")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="A keyboard-driven Kanban board for machine-learning teams. "
        "With no command, opens the board in the terminal.",
        epilog="Lanes: 1 todo, 2 test-hypothesis, 3 review-hypothesis, 4 update-model, "
        "5 review-model, 6 done (number, slug or name). Time boxes: 30m 4h 2d 1w 1d12h.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--sync-interval", type=seconds, metavar="SECONDS", dest="sync_every",
                        help="the open board syncs its experiment runs this often (default: "
                        "the board's setting, else 60)")
    parser.add_argument("--tracking-uri", metavar="URL", dest="board_tracking_uri",
                        help="the MLflow tracking server the open board syncs with")
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    # (the board as tkanban serve runs it for a browser tab: it starts no process)
    commands = Commands(parser.add_subparsers(dest="command", metavar="COMMAND",
                                              title="commands"), common)
    for module in MODULES:
        module.register(commands)
    commands.add("man", "print the manual page (roff; needs tkanban[man])", run_man,
                 Opens.NOTHING,
                 epilog="tkanban man > ~/.local/share/man/man1/tkanban.1 && man tkanban")
    return parser


def run_man(args: argparse.Namespace) -> int:
    """``tkanban man``: the manual page, made from the parser (``argparse-manpage``)."""
    try:
        from argparse_manpage.manpage import Manpage
    except ImportError:
        return usage_error("the manual page needs argparse-manpage: pip install 'tkanban[man]'")
    page = Manpage(build_parser(), _data={
        "project_name": "tkanban", "version": __version__, "manual_section": "1",
        "manual_title": "tkanban manual",
        "description": "a keyboard-driven Kanban board for machine-learning teams"})
    sys.stdout.write(str(page))
    return 0

