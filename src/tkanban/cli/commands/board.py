"""The board as a whole, as a team uses it: ``mentions``, ``phase`` (board-level time boxes
with a go/stop decision), ``lane`` (WIP limits), ``retro`` and ``demo``.

Each command imports the core it needs when it runs: the writes need the ORM (``import
sqlmodel`` alone takes about 0.45 s here), and a reading command must not pay for it.
"""

from __future__ import annotations

import argparse
import sys

from tkanban.cli.arguments import number
from tkanban.cli.context import Context, Opens
from tkanban.cli.output import out, out_json, usage_error
from tkanban.cli.registry import Commands


def register(commands: Commands) -> None:
    p = commands.add("mentions", "log entries that mention you", cmd_mentions)
    p.add_argument("--json", action="store_true")

    p = commands.add("phase", "board-level time boxes with a go/stop decision")
    phase = commands.actions(p, "phase_command")
    ps = commands.add_to(phase, "start", "start a phase", cmd_phase, Opens.NEW_BOARD)
    ps.add_argument("name")
    ps.add_argument("--timebox", required=True, metavar="DURATION")
    ps.add_argument("--goal", default="", help='e.g. "continue if AUC > 0.80"')
    pe = commands.add_to(phase, "end", "end the running phase", cmd_phase)
    pe.add_argument("--decision", required=True, choices=["go", "stop"])
    pe.add_argument("--note", default="")
    pl = commands.add_to(phase, "list", "list phases and their decisions", cmd_phase)
    pl.add_argument("--json", action="store_true")

    p = commands.add("lane", "lanes and their WIP limits")
    lane = commands.actions(p, "lane_command")
    ll = commands.add_to(lane, "limit", "set a lane's WIP limit (0 for none)", cmd_lane,
                         Opens.NEW_BOARD)
    ll.add_argument("lane")
    ll.add_argument("limit", type=number)
    commands.add_to(lane, "list", "list lanes", cmd_lane)

    p = commands.add("retro", "the monthly retro: learnings and flow figures", cmd_retro)
    p.add_argument("--month", metavar="YYYY-MM", help="the month (default: this month, UTC)")
    p.add_argument("--format", choices=["markdown", "json", "html"], default="markdown",
                   help="html: one self-contained page with the charts as SVG (needs "
                   "tkanban[report]): retro --format html > retro.html")

    commands.add("demo", "fill a board with a realistic example", cmd_demo, Opens.NEW_BOARD)


def cmd_mentions(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import mentions_of
    from tkanban.core.model.timebox import local_time

    found = mentions_of(ctx.store, ctx.user, ctx.board)
    if args.json:
        out_json([{"card_id": m.card_id, "card_title": m.card_title, **m.entry.to_json()}
               for m in found])
        return
    if not found:
        print(f"nothing mentions @{ctx.user}", file=sys.stderr)
    for m in found:
        out(f"{local_time(m.entry.at)}  #{m.card_id} {m.card_title}\n"
             f"    {m.entry.author}: {m.entry.text}")

def cmd_phase(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import list_phases
    from tkanban.core.model.timebox import format_duration, local_time, parse_duration

    if args.phase_command == "start":
        from tkanban.core.board.phases import start_phase

        phase = start_phase(ctx.store, ctx.board, args.name, parse_duration(args.timebox),
                            args.goal, author=ctx.user)
        out(f"phase {phase.name!r} started: {format_duration(phase.timebox_seconds)}, "
             f"ends {local_time(phase.deadline)}")
    elif args.phase_command == "end":
        from tkanban.core.board.phases import end_phase

        phase = end_phase(ctx.store, ctx.board, args.decision, args.note, author=ctx.user)
        out(f"phase {phase.name!r} ended: {phase.decision}")
    else:
        phases = list_phases(ctx.store, ctx.board)
        if args.json:
            out_json([p.to_json() for p in phases])
            return
        if not phases:
            print("no phases", file=sys.stderr)
        for p in phases:
            state = (f"{p.decision} ({p.decided_by}, {local_time(p.ended_at)})"
                     if p.ended_at else "running")
            note = f" — {p.note}" if p.note else ""
            out(f"{p.id:<3} {p.name:<20} {format_duration(p.timebox_seconds):<8} "
                 f"started {local_time(p.started_at)}  {state}{note}  goal: {p.goal}")

def cmd_lane(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import get_lanes, list_cards

    if args.lane_command == "limit":
        from tkanban.core.board.cards import set_wip_limit

        if args.limit < 0:
            raise SystemExit(usage_error(f"a WIP limit cannot be negative: {args.limit}"))
        lane = set_wip_limit(ctx.store, ctx.board, args.lane, args.limit or None)
        out(f"{lane.name}: WIP limit {lane.wip_limit or 'none'}")
        return
    cards = list_cards(ctx.store, ctx.board)
    for lane in get_lanes(ctx.store, ctx.board):
        count = sum(1 for c in cards if c.lane_number == lane.number)
        limit = f"/{lane.wip_limit}" if lane.wip_limit else ""
        out(f"{lane.number} {lane.slug:<18} {lane.name:<26} {count}{limit}")

def cmd_retro(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import history, phase_refs
    from tkanban.core.retro.figures import compute, current_month, parse_month

    now = ctx.now
    year, month = parse_month(args.month) if args.month else current_month(now)
    cards, lanes = history(ctx.store, ctx.board)
    retro = compute(cards, lanes, phase_refs(ctx.store, ctx.board), year, month, now)
    if args.format == "json":
        out_json(retro.to_json())
    elif args.format == "html":
        from tkanban.core.retro.html import retro_html

        sys.stdout.write(retro_html(retro, ctx.board))
    else:
        out(retro.to_markdown())

def cmd_demo(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.demo import fill_demo

    count = fill_demo(ctx.store, ctx.board)
    out(f"board {ctx.board!r} in {ctx.store.label} now holds {count} demo cards; "
         f"open it with: tkanban --db {ctx.store.label} --board {ctx.board}")
