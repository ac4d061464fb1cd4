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

    p = commands.add("pin", "judge a card on one linked run alone (unpin: on all its "
                     "evidence again)", cmd_pin,
                     epilog="By default a criterion is judged on the best value among the "
                     "card's linked runs and the metrics typed in its log ('tkanban config "
                     "evidence' says how); a pinned run is the only evidence.")
    p.add_argument("id", type=card_id)
    p.add_argument("ref", metavar="RUN")

    p = commands.add("unpin", "judge a card on all its evidence again", cmd_pin)
    p.add_argument("id", type=card_id)

    p = commands.add("runs", "a card's linked runs side by side: verdict, metrics, the params "
                     "that differ, time, commit, link", cmd_runs)
    p.add_argument("id", type=card_id)
    p.add_argument("--json", action="store_true")

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

def cmd_pin(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.runs.sync import pin_run

    ref = getattr(args, "ref", None)
    before = pin_run(ctx.store, args.id, ref, author=ctx.user)
    if ref is None:
        out(f"#{args.id}: judged on all its evidence" + (f" (was {before} alone)" if before
                                                         else " (no run was pinned)"))
    else:
        out(f"#{args.id}: judged on {ref} alone")

def cmd_runs(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.output import out_json
    from tkanban.core.board.reads import get_card
    from tkanban.core.model.evidence import MODE_WORDS
    from tkanban.core.runs.compare import compare_params, differing, duration

    detail = get_card(ctx.store, args.id)
    verdicts = detail.verdicts()
    if args.json:
        out_json({"card": detail.card.id, "evidence": detail.mode,
                  "verdicts": [v.to_json() for v in verdicts],
                  "differing_params": differing(detail.runs),
                  "runs": [link.to_json() for link in detail.runs]})
        return
    lines = [f"#{detail.card.id} {detail.card.title}"]
    if verdicts:
        lines.append(f"  judged on the {MODE_WORDS[detail.mode]}:")
        for v in verdicts:
            lines.append(f"    {v.criterion}: " + {True: "met", False: "not met",
                                                    None: "not measured"}[v.met]
                         + ("" if v.point is None else f" ({v.value:g}, {v.point.where()})"))
    if not detail.runs:
        lines.append("  no runs linked (tkanban link ID RUN)")
    for link in detail.runs:
        metrics = " ".join(f"{k}={v:g}" for k, v in link.metrics.items())
        lines.append(f"  {link.name or link.ref}  {link.status.lower() or 'not synced'}"
                     + ("  pinned" if link.pinned else "") + f"  {duration(link)}"
                     + (f"  commit {link.detail.commit[:10]}" if link.detail.commit else ""))
        lines.append(f"    {link.ref}" + (f"  {metrics}" if metrics else ""))
        if link.url:
            lines.append(f"    {link.url}")
    table = compare_params(detail.runs)
    if table:
        lines += ["", "  params that differ:", *("    " + line for line in table)]
    out("\n".join(lines))

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
                     + (" pinned" if link.pinned else "")
                     + (f"  {metrics}" if metrics else "") + (f"  {link.url}" if link.url else ""))
    return lines
