"""``link``, ``unlink``, ``sync`` and ``config tracking-uri``: experiment runs on cards."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tkanban.cli.output import out, warn

if TYPE_CHECKING:
    from tkanban.cli.commands import Context
    from tkanban.core.model.records import CardDetail


def cmd_link(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.runs.sync import link_run

    link = link_run(ctx.store, args.id, args.ref, author=ctx.user,
                    tracking_uri=args.tracking_uri)
    for problem in link.problems:
        warn(f"{link.ref}: {problem}")
    out(f"#{args.id}: linked {link.ref} ({link.name}, {link.status.lower()}); "
         f"'tkanban sync {args.id}' writes its metrics into the log")


def cmd_unlink(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.runs.sync import unlink_run

    unlink_run(ctx.store, args.id, args.ref, author=ctx.user)
    out(f"#{args.id}: unlinked {args.ref}")


def cmd_sync(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import TkanbanError
    from tkanban.core.model.text import plural, visible
    from tkanban.core.runs.links import criteria_met, links_of
    from tkanban.core.runs.sync import sync

    report = sync(ctx.store, ctx.board, args.id, tracking_uri=args.tracking_uri,
                  criteria_met=criteria_met)
    for card_id, ref in report.linked:
        out(f"#{card_id}: linked {ref} (tagged {card_id})")
    runs = len(links_of(ctx.store, ctx.board, args.id))
    out(f"synced {plural(runs, 'run')}: {plural(report.entries, 'new entry', 'new entries')}")
    for card_id in report.met:
        out(f"#{card_id}: every exit criterion is met now (tkanban outcome {card_id} "
             "validated)")
    for warning in report.warnings:
        warn(warning)
    if len(report.problems) == 1:
        raise TkanbanError(report.problems[0])
    for problem in report.problems:
        print(f"tkanban: {visible(problem, multiline=False)}", file=sys.stderr)
    if report.problems:
        raise TkanbanError(f"{plural(len(report.problems), 'problem')}; what could be read is "
                           "synced")


def cmd_board_setting(ctx: Context, args: argparse.Namespace) -> None:
    """``config tracking-uri [URL]`` and ``config sync-interval [SECONDS]``: kept in the
    board, for the whole team."""
    from tkanban.core.board.settings import board_setting, set_board_setting
    from tkanban.core.errors import ValidationError
    from tkanban.core.runs.sync import set_tracking_uri

    name = args.config_command.replace("-", "_")
    if args.clear:
        set_board_setting(ctx.store, ctx.board, name, None)
        out(f"board {ctx.board!r}: no {args.config_command} kept")
    elif args.value is None:
        out(board_setting(ctx.store, ctx.board, name) or "none kept in this board")
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


def run_lines(detail: CardDetail) -> list[str]:
    """The card's linked runs, for ``show``."""
    lines = []
    for link in detail.runs:
        metrics = " ".join(f"{k}={v:g}" for k, v in link.metrics.items())
        lines.append(f"  run:      {link.ref} {link.name} ({link.status.lower() or 'not synced'})"
                     + (f"  {metrics}" if metrics else "") + (f"  {link.url}" if link.url else ""))
    return lines
