"""Shell completion (bash, zsh, fish) through ``argcomplete``: the shell asks the program
itself, which answers from its own parser (commands, options, choices), the lanes, and the
boards the file or database named by ``--db`` holds. Nothing of it is imported unless a shell
is asking (``_ARGCOMPLETE`` set)."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any

from tkanban.core.model.records import LANES

SHELLS = ("bash", "zsh", "fish")


def offer(parser: argparse.ArgumentParser) -> None:
    """Answer the shell and exit, when the shell is the one asking."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    import argcomplete

    for action in _actions(parser):
        if action.dest == "lane" or "--lane" in action.option_strings:
            action.completer = lanes  # type: ignore[attr-defined]
        elif "--board" in action.option_strings:
            action.completer = boards  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser)


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    found = list(parser._actions)  # argparse keeps no public list of them
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _actions(sub)
    return found


def lanes(**_: Any) -> list[str]:
    """The lanes by slug and by number."""
    return [slug for _, slug in LANES] + [str(n) for n in range(1, len(LANES) + 1)]


def boards(parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    """The boards of the file or database the command line names (none if it cannot be
    read: a completion never fails)."""
    from tkanban.core.board.reads import board_names
    from tkanban.core.storage import open_store
    from tkanban.user.paths import resolve_db_path

    with contextlib.suppress(Exception):  # a shell's question must never raise
        where = resolve_db_path(getattr(parsed_args, "db", None))
        if isinstance(where, str) or where.exists():
            store = open_store(where, readonly=True, create=False)
            try:
                return board_names(store)
            finally:
                store.close()
    return []


def script(shell: str) -> str:
    """What to source in ``shell`` so that it completes ``tkanban``."""
    import argcomplete

    return str(argcomplete.shellcode(["tkanban"], shell=shell))
