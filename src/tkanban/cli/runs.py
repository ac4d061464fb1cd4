"""``link``, ``unlink``, ``sync`` and ``config tracking-uri``: experiment runs on cards."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tkanban.cli.commands import Context
    from tkanban.core.linked import LinkInfo
    from tkanban.core.records import CardDetail
    from tkanban.core.store import Store


def criteria_met(store: Store, card_id: int) -> bool:
    """Whether every exit criterion of the card is met (a card without criteria: no)."""
    from tkanban.core.hypothesis import suggests_validated
    from tkanban.core.queries import get_card

    return suggests_validated(get_card(store, card_id).criteria_status())


def cmd_link(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.commands import _out
    from tkanban.core.runs import link_run

    link = link_run(ctx.store, args.id, args.ref, author=ctx.user,
                    tracking_uri=args.tracking_uri)
    _out(f"#{args.id}: linked {link.ref} ({link.name}, {link.status.lower()}); "
         f"'tkanban sync {args.id}' writes its metrics into the log")


def cmd_unlink(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.commands import _out
    from tkanban.core.runs import unlink_run

    unlink_run(ctx.store, args.id, args.ref, author=ctx.user)
    _out(f"#{args.id}: unlinked {args.ref}")


def cmd_sync(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.commands import _out
    from tkanban.core.errors import TkanbanError
    from tkanban.core.linked import links_of
    from tkanban.core.runs import sync
    from tkanban.core.text import plural, visible

    report = sync(ctx.store, ctx.board, args.id, tracking_uri=args.tracking_uri,
                  criteria_met=criteria_met)
    for card_id, ref in report.linked:
        _out(f"#{card_id}: linked {ref} (tagged {card_id})")
    runs = len(links_of(ctx.store, ctx.board, args.id))
    _out(f"synced {plural(runs, 'run')}: {plural(report.entries, 'new entry', 'new entries')}")
    for card_id in report.met:
        _out(f"#{card_id}: every exit criterion is met now (tkanban outcome {card_id} "
             "validated)")
    for problem in report.problems:
        print(f"tkanban: {visible(problem, multiline=False)}", file=sys.stderr)
    if report.problems:
        raise TkanbanError(f"{plural(len(report.problems), 'run')} could not be read; the "
                           "others are synced")


def cmd_tracking_uri(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.commands import _out
    from tkanban.core.linked import board_tracking_uri
    from tkanban.core.runs import set_tracking_uri

    if args.clear:
        set_tracking_uri(ctx.store, ctx.board, None)
        _out(f"board {ctx.board!r}: no tracking URI kept")
    elif args.uri:
        _out(f"board {ctx.board!r}: MLflow at {set_tracking_uri(ctx.store, ctx.board, args.uri)}")
    else:
        _out(board_tracking_uri(ctx.store, ctx.board) or "none kept in this board")


def run_lines(detail: CardDetail, links: list[LinkInfo]) -> list[str]:
    """Linked runs and the run behind each criterion's value, for ``show``."""
    lines = []
    for link in links:
        metrics = " ".join(f"{k}={v:g}" for k, v in link.metrics.items())
        lines.append(f"  run:      {link.ref} {link.name} ({link.status.lower() or 'not synced'})"
                     + (f"  {metrics}" if metrics else "") + (f"  {link.url}" if link.url else ""))
    return lines
