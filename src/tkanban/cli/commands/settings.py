"""Settings: ``keys`` (the board's keys in force, config.toml applied), ``config path``
(where config.toml is), and the board's own settings, kept in it for the whole team
(``config tracking-uri``, ``config sync-interval``)."""

from __future__ import annotations

import argparse
import sys

from tkanban.cli.completion import SHELLS
from tkanban.cli.context import Context, Opens, settings
from tkanban.cli.output import out, out_json
from tkanban.cli.registry import Commands
from tkanban.user.config import config_path, keys_in_force
from tkanban.user.keys import ACTIONS, shown_keys


def register(commands: Commands) -> None:
    p = commands.add("keys", "the board's keys in force (your config.toml applied)", run_keys,
                     Opens.NOTHING)
    p.add_argument("--json", action="store_true")

    p = commands.add("completion", "shell completion: print the script for bash, zsh or fish",
                     run_completion, Opens.NOTHING,
                     epilog="bash: eval \"$(tkanban completion bash)\" in ~/.bashrc; zsh: the "
                     "same in ~/.zshrc; fish: tkanban completion fish > "
                     "~/.config/fish/completions/tkanban.fish. It completes commands, options, "
                     "lanes and the boards of the file --db names.")
    p.add_argument("shell", choices=SHELLS)

    p = commands.add("config", "your settings file (config.toml), and the board's own settings")
    config = commands.actions(p, "config_command")
    commands.add_to(config, "path", "print where config.toml is read from", run_config,
                    Opens.NOTHING)
    for name, metavar, what in (
            ("tracking-uri", "URL", "the board's MLflow tracking server, shared by the whole "
             "team (kept in the board; no credentials)"),
            ("sync-interval", "SECONDS", "how often an open board syncs its runs (kept in the "
             "board; default 60)"),
            ("evidence", "MODE", "what a hypothesis is judged on: best (each run's final value; "
             "the default), best-step (any step of a run's history) or last (the value written "
             "last); kept in the board"),
            ("project-root", "DIR", "the folder DVCLive paths are kept relative to (default: the "
             "board file's folder; give one for a board on a server)")):
        setting = commands.add_to(config, name, what, cmd_board_setting, description=what)
        setting.add_argument("value", nargs="?", metavar=metavar)
        setting.add_argument("--clear", action="store_true", help="forget it")


def run_completion(args: argparse.Namespace) -> int:
    """``tkanban completion SHELL``: the script that makes the shell complete tkanban."""
    from tkanban.cli.completion import script

    sys.stdout.write(script(args.shell))
    return 0


def run_keys(args: argparse.Namespace) -> int:
    """``tkanban keys``: every action with the keys in force (config.toml applied)."""
    config = settings(args, always=True)
    keys = keys_in_force(config.keys)
    rows = [(action.name, shown_keys(keys[action.name]) if keys[action.name] else "palette",
             action.description) for action in ACTIONS if action.name != "palette"]
    if getattr(args, "json", False):
        out_json([{"action": name, "keys": keys[name], "description": what}
               for name, _, what in rows])
        return 0
    width = max(len(name) for name, _, _ in rows)
    for name, shown, what in rows:
        out(f"{name:<{width}}  {shown:<24} {what}")
    return 0

def run_config(args: argparse.Namespace) -> int:
    """``tkanban config path``: where config.toml is (or would be)."""
    print(config_path())
    return 0

def cmd_board_setting(ctx: Context, args: argparse.Namespace) -> None:
    """``config tracking-uri [URL]`` and ``config sync-interval [SECONDS]``: kept in the
    board, for the whole team."""
    from tkanban.core.board.reads import board_setting
    from tkanban.core.board.settings import set_board_setting
    from tkanban.core.errors import ValidationError
    from tkanban.core.runs.sync import set_tracking_uri

    name = args.config_command.replace("-", "_")
    if args.clear:
        set_board_setting(ctx.store, ctx.board, name, None)
        out(f"board {ctx.board!r}: no {args.config_command} kept")
    elif args.value is None:
        out(board_setting(ctx.store, ctx.board, name) or "none kept in this board")
    elif name == "evidence":
        from tkanban.core.model.evidence import MODE_WORDS, MODES
        if args.value not in MODES:
            raise ValidationError(f"evidence is one of {', '.join(MODES)}, not {args.value!r}")
        set_board_setting(ctx.store, ctx.board, name, args.value)
        out(f"board {ctx.board!r}: hypotheses are judged on the {MODE_WORDS[args.value]}")
    elif name == "project_root":
        from pathlib import Path
        folder = Path(args.value).expanduser().resolve()
        if not folder.is_dir():
            raise ValidationError(f"no folder at {folder}")
        set_board_setting(ctx.store, ctx.board, name, str(folder))
        out(f"board {ctx.board!r}: DVCLive paths are kept relative to {folder}")
    elif name == "tracking_uri":
        out(f"board {ctx.board!r}: MLflow at "
             f"{set_tracking_uri(ctx.store, ctx.board, args.value)}")
    else:
        try:
            seconds = float(args.value)
        except ValueError:
            seconds = 0.0
        if not 5 <= seconds <= 86400:
            raise ValidationError(f"a sync interval is 5 to 86400 seconds, not {args.value!r}")
        set_board_setting(ctx.store, ctx.board, name, f"{seconds:g}")
        out(f"board {ctx.board!r}: open boards sync their runs every {seconds:g} s")
