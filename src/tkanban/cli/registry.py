"""How a command module adds its commands to the parser (``register(commands)``): each
command with its handler and what it opens, in the module that defines it (argparse's
``set_defaults``, as its documentation on sub-commands shows); no table beside the parser."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tkanban.cli.context import Opens


class Commands:
    """The parser's sub-commands, and the options every one of them takes (``common``)."""

    def __init__(self, sub: Any, common: argparse.ArgumentParser) -> None:
        self.sub = sub
        self.common = common

    def add(self, name: str, help: str, run: Callable[..., Any] | None = None,
            opens: Opens = Opens.BOARD, **options: Any) -> argparse.ArgumentParser:
        """A command; ``run(ctx, args)`` runs it (``run(args)`` for one that opens nothing).
        One without ``run`` has actions of its own (``actions``)."""
        return self.add_to(self.sub, name, help, run, opens, **options)

    def actions(self, parser: argparse.ArgumentParser, dest: str) -> Any:
        """The actions of a command such as ``phase`` (``start``, ``end``, ``list``)."""
        return parser.add_subparsers(dest=dest, metavar="ACTION", required=True)

    def add_to(self, sub: Any, name: str, help: str, run: Callable[..., Any] | None = None,
               opens: Opens = Opens.BOARD, *, salvage: bool = False,
               before: Callable[[argparse.Namespace], None] | None = None,
               **options: Any) -> argparse.ArgumentParser:
        """``salvage``: a damaged board file opens as what still reads of it; ``before(args)``
        runs before the board is opened (a check that must leave nothing behind)."""
        options.setdefault("description", help)
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help,
                                                         parents=[self.common], **options)
        if run is not None:
            parser.set_defaults(run=run, opens=opens, salvage=salvage, before=before)
        return parser
