"""The board as a whole: ``export``, ``import``, ``check`` and ``backup``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tkanban.cli.output import out, warn

if TYPE_CHECKING:
    from tkanban.cli.commands import Context


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
