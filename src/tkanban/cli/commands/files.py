"""The board as a whole: ``export`` (lossless JSON, or Markdown; on a damaged file, what still
reads of it), ``import``, ``check`` and ``backup``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tkanban.cli.context import Context, Opens
from tkanban.cli.output import out, warn
from tkanban.cli.registry import Commands


def register(commands: Commands) -> None:
    p = commands.add("export", "write the board as JSON (lossless) or Markdown", cmd_export,
                     salvage=True)
    p.add_argument("--format", choices=["json", "markdown"], default="json")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    p = commands.add("import", "load a JSON export into a new board file", cmd_import,
                     Opens.FILE, before=read_export_arg)
    p.add_argument("file", help="a file written by 'tkanban export' ('-' for stdin)")

    commands.add("check", "check the whole board file for damage (SQLite's full integrity "
                 "check)", cmd_check)

    p = commands.add("backup", "copy the board file, consistently, while others may be "
                     "writing", cmd_backup)
    p.add_argument("dest", metavar="PATH", help="the new file to write (it must not exist)")


def read_export_arg(args: argparse.Namespace) -> None:
    """The export is read and checked whole before a board file is opened: a bad export
    leaves nothing behind."""
    args.export = read_export(args.file)


def cmd_export(ctx: Context, args: argparse.Namespace) -> None:
    """The board as JSON or Markdown. On a damaged file, what still reads of it (the
    README's rescue), with a warning for each part left out."""
    from tkanban.core.errors import DamagedError

    try:
        text = _export(ctx, args)
    except DamagedError as exc:
        if not isinstance(ctx.location, Path):
            raise
        from tkanban.core.storage.salvage import open_salvaged

        warn(f"{exc}; saving what still reads of it")
        ctx.store.close()
        ctx.store, report = open_salvaged(ctx.location, ctx.store.clock)
        for line in report.lines():
            warn(line)
        text = _export(ctx, args)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)

def _export(ctx: Context, args: argparse.Namespace) -> str:
    from tkanban.core.transfer.backup import dump, export_json
    from tkanban.core.transfer.markdown import export_markdown

    if args.format == "json":
        boards = [args.board] if getattr(args, "board", None) else None
        return dump(export_json(ctx.store, boards))
    return export_markdown(ctx.store, ctx.board, ctx.now)

def read_export(source: str) -> Any:
    """The export in the file ``source`` ('-' for stdin), checked whole: before a board file
    is opened, so a bad export leaves nothing behind."""
    from tkanban.core.errors import ValidationError
    from tkanban.core.transfer.format import parse_export

    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
        data = json.loads(raw)
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{source} is not valid JSON ({exc})") from None
    return parse_export(data)

def cmd_import(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.model.text import plural
    from tkanban.core.transfer.backup import import_json

    counts = import_json(ctx.store, args.export)
    print(f"imported {plural(counts['boards'], 'board')}, {plural(counts['cards'], 'card')}, "
          f"{plural(counts['log'], 'log entry', 'log entries')}, "
          f"{plural(counts['phases'], 'phase')}, {plural(counts['relations'], 'relation')}")

def cmd_check(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import BoardFileError

    problems = ctx.store.integrity_problems()
    if problems:
        raise BoardFileError(
            f"the board is damaged ({'; '.join(problems[:3])}): {ctx.store.label}; restore a "
            "copy made by 'tkanban backup', or save what still reads with 'tkanban export'")
    out(ctx.store.check_summary())

def cmd_backup(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import BoardFileError

    dest = Path(args.dest).expanduser()
    problems = ctx.store.backup(dest)
    if problems:
        raise BoardFileError(f"copied to {dest}, but the copy fails the integrity check "
                             f"({problems[0]}): the board file is damaged")
    out(f"copied {ctx.store.label} to {dest} ({dest.stat().st_size:,} bytes, integrity ok)")
