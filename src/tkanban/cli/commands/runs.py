"""``link``, ``unlink`` and ``sync``: experiment runs on cards (MLflow runs, DVCLive
output), and how ``show`` lists a card's runs."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tkanban.cli.arguments import card_id
from tkanban.cli.context import Context
from tkanban.cli.output import out, warn
from tkanban.cli.registry import Commands

if TYPE_CHECKING:
    from tkanban.core.model.records import CardDetail

TRACKING = ("MLflow is --tracking-uri, else $MLFLOW_TRACKING_URI, else the board's own "
            "('tkanban config tracking-uri URL'); credentials come from "
            "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME and _PASSWORD.")


def register(commands: Commands) -> None:
    p = commands.add("link", "link an experiment run to a card: mlflow:RUN_ID, a run's URL, or "
                     "dvclive:PATH", cmd_link,
                     epilog="PATH is a DVCLive output folder or any JSON file of "
                     "{\"name\": number}. A training script can link its own run with "
                     "mlflow.set_tag(\"tkanban.card\", ID). " + TRACKING)
    p.add_argument("id", type=card_id)
    p.add_argument("ref", metavar="RUN")
    p.add_argument("--tracking-uri", metavar="URL", help="the MLflow tracking server")

    p = commands.add("unlink", "take a run off a card (what it logged stays)", cmd_unlink)
    p.add_argument("id", type=card_id)
    p.add_argument("ref", metavar="RUN")

    p = commands.add("sync", "write linked runs' new metrics into their cards' logs", cmd_sync,
                     epilog="Runs tagged tkanban.card=ID are linked first. A second sync with "
                     "nothing new writes nothing. " + TRACKING)
    p.add_argument("id", type=card_id, nargs="?", help="only this card")
    p.add_argument("--tracking-uri", metavar="URL", help="the MLflow tracking server")


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
    for tagged, ref in report.linked:
        out(f"#{tagged}: linked {ref} (tagged {tagged})")
    runs = len(links_of(ctx.store, ctx.board, args.id))
    out(f"synced {plural(runs, 'run')}: {plural(report.entries, 'new entry', 'new entries')}")
    for met in report.met:
        out(f"#{met}: every exit criterion is met now (tkanban outcome {met} validated)")
    for warning in report.warnings:
        warn(warning)
    if len(report.problems) == 1:
        raise TkanbanError(report.problems[0])
    for problem in report.problems:
        print(f"tkanban: {visible(problem, multiline=False)}", file=sys.stderr)
    if report.problems:
        raise TkanbanError(f"{plural(len(report.problems), 'problem')}; what could be read is "
                           "synced")

def run_lines(detail: CardDetail) -> list[str]:
    """The card's linked runs, for ``show``."""
    lines = []
    for link in detail.runs:
        metrics = " ".join(f"{k}={v:g}" for k, v in link.metrics.items())
        lines.append(f"  run:      {link.ref} {link.name} ({link.status.lower() or 'not synced'})"
                     + (f"  {metrics}" if metrics else "") + (f"  {link.url}" if link.url else ""))
    return lines
