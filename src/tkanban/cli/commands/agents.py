"""``tkanban mcp``: the board for coding agents, as an MCP server over stdio
(``tkanban.agents``, the ``mcp`` extra)."""

from __future__ import annotations

import argparse

from tkanban.cli.context import Context, Opens
from tkanban.cli.registry import Commands


def register(commands: Commands) -> None:
    p = commands.add(
        "mcp", "the board for coding agents: an MCP server over stdio (needs tkanban[mcp])",
        cmd_mcp, Opens.NEW_BOARD,
        epilog="An agent's client starts it as a command (\"command\": \"tkanban\", \"args\": "
        "[\"--db\", \"PATH\", \"--user\", \"agent\", \"mcp\"]). Its tools list, show, add, log, "
        "move and close cards, link runs, read mentions and the retro, with the rules of the "
        "command line; each change is the user's, in the log and the events, seen live on "
        "open boards.")
    p.add_argument("--read-only", action="store_true",
                   help="offer only the tools that read (list, show, mentions, retro)")


def cmd_mcp(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import TkanbanError

    try:
        from tkanban.agents import board_server
    except ImportError:
        raise TkanbanError("the MCP server needs the official MCP SDK: "
                           "pip install 'tkanban[mcp]'") from None
    board_server(ctx.store, ctx.board, ctx.user, now=lambda: ctx.now,
                 read_only=args.read_only).run("stdio")
