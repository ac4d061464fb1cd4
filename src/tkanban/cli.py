"""The command line: argument parsing and printing only; every action is a core call.

Exit status: 0 done; 1 a problem with the data or the file (one line on stderr); 2 a usage
error. This module must not import Textual: scripts call it in loops.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tkanban import __version__
from tkanban.paths import default_db_path, resolve_db_path

PROG = "tkanban"


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("board file")
    group.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                       help="board file (default: $TKANBAN_DB, else the user data folder)")
    group.add_argument("--board", metavar="NAME", default=argparse.SUPPRESS,
                       help="board inside the file (default: main)")
    group.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                       help="who you are (default: $TKANBAN_USER, else your login)")
    group.add_argument("--storage", choices=["auto", "local", "network"],
                       default=argparse.SUPPRESS,
                       help="where the file lives: detected from the mount table (auto), or "
                       "forced; network polls less often and waits longer for locks")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="A keyboard-driven Kanban board for machine-learning teams. "
        "With no command, opens the board in the terminal.",
        epilog="Lanes: 1 todo, 2 test-hypothesis, 3 review-hypothesis, 4 update-model, "
        "5 review-model, 6 done (number, slug or name). Time boxes: 30m 4h 2d 1w 1d12h.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common], **kw)

    p = command("add", "add a card and print its id")
    p.add_argument("title")
    p.add_argument("--kind", choices=["hypothesis", "task"],
                   help="hypothesis or task (default: hypothesis when --criteria is given)")
    p.add_argument("--lane", default="todo", help="lane to add to (default: todo)")
    p.add_argument("--timebox", metavar="DURATION", help="time box, e.g. 4h, 2d, 1w")
    p.add_argument("--criteria", help='exit criteria, e.g. "precision >= 0.95 and recall > 0.7"')
    p.add_argument("--description", default="", help="longer description")
    p.add_argument("--assignee", metavar="NAME", help="who works on it")

    p = command("list", "list cards")
    p.add_argument("--lane", help="only this lane")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--archived", action="store_true", help="include archived cards")

    p = command("show", "show a card with its research log")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("move", "move a card to a lane; a hypothesis entering Done needs --outcome")
    p.add_argument("id", type=int)
    p.add_argument("lane", help="number, slug or name")
    p.add_argument("--outcome", choices=["validated", "invalidated", "inconclusive"])
    p.add_argument("--note", default="", help="one-line conclusion for the outcome")
    p.add_argument("--position", type=int, help="place in the lane, 1 = top")

    p = command("log", "append to a card's research log")
    p.add_argument("id", type=int)
    p.add_argument("text", nargs="?", default="")
    p.add_argument("--metric", action="append", default=[], metavar="NAME=VALUE",
                   help="a measurement, e.g. auc=0.83 (repeatable)")

    p = command("edit", "change a card's title, description, criteria or assignee")
    p.add_argument("id", type=int)
    p.add_argument("--title")
    p.add_argument("--description")
    p.add_argument("--criteria")
    p.add_argument("--assignee", help="a user name, or '' for nobody")
    p.add_argument("--kind", choices=["hypothesis", "task"])

    p = command("reorder", "put a card at a place in its lane (1 = top priority)")
    p.add_argument("id", type=int)
    p.add_argument("position", type=int)

    p = command("archive", "take a card off the board (it stays in the file)")
    p.add_argument("id", type=int)

    p = command("timebox", "set or extend a card's time box")
    p.add_argument("id", type=int)
    p.add_argument("duration", help="e.g. 4h, 2d, 1w, 1d12h")
    p.add_argument("--reason", default="", help="why (required once the box is running)")

    p = command("outcome", "record a hypothesis's outcome")
    p.add_argument("id", type=int)
    p.add_argument("outcome", choices=["validated", "invalidated", "inconclusive"])
    p.add_argument("--note", default="", help="one-line conclusion")

    p = command("export", "write the board as JSON (lossless) or Markdown")
    p.add_argument("--format", choices=["json", "markdown"], default="json")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    p = command("import", "load a JSON export into a new board file")
    p.add_argument("file", help="a file written by 'tkanban export' ('-' for stdin)")

    p = command("mentions", "log entries that mention you")
    p.add_argument("--json", action="store_true")

    p = command("phase", "board-level time boxes with a go/stop decision")
    phase = p.add_subparsers(dest="phase_command", metavar="ACTION", required=True)
    ps = phase.add_parser("start", help="start a phase", parents=[common])
    ps.add_argument("name")
    ps.add_argument("--timebox", required=True, metavar="DURATION")
    ps.add_argument("--goal", default="", help='e.g. "continue if AUC > 0.80"')
    pe = phase.add_parser("end", help="end the running phase", parents=[common])
    pe.add_argument("--decision", required=True, choices=["go", "stop"])
    pe.add_argument("--note", default="")
    pl = phase.add_parser("list", help="list phases and their decisions", parents=[common])
    pl.add_argument("--json", action="store_true")

    p = command("lane", "lanes and their WIP limits")
    lane = p.add_subparsers(dest="lane_command", metavar="ACTION", required=True)
    ll = lane.add_parser("limit", help="set a lane's WIP limit (0 for none)", parents=[common])
    ll.add_argument("lane")
    ll.add_argument("limit", type=int)
    lane.add_parser("list", help="list lanes", parents=[common])

    command("check", "check the whole board file for damage (SQLite's full integrity check)")

    p = command("backup", "copy the board file, consistently, while others may be writing")
    p.add_argument("dest", metavar="PATH", help="the new file to write (it must not exist)")

    p = command("retro", "the monthly retro: learnings and flow figures")
    p.add_argument("--month", metavar="YYYY-MM", help="the month (default: this month, UTC)")
    p.add_argument("--format", choices=["markdown", "json"], default="markdown")

    command("demo", "fill a board with a realistic example")
    return parser


def _user(args: argparse.Namespace) -> str:
    from tkanban.core.text import clean_name

    name = getattr(args, "user", None) or os.environ.get("TKANBAN_USER")
    if name:
        return clean_name(name)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "user"
    return "".join(ch for ch in login if ch.isalnum() or ch in "._-") or "user"


def _out(text: str) -> None:
    from tkanban.core.text import visible

    sys.stdout.write(visible(text) + ("" if text.endswith("\n") else "\n"))


def _json(data: Any) -> None:
    from tkanban.core.text import json_safe

    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def _card_line(card: Any, now: float) -> str:
    from tkanban.core.timebox import short_left

    left = card.remaining(now)
    if left is None:
        box = ""
    elif card.clock_stop is not None:
        box = "  finished in its box" if left >= 0 else f"  finished {short_left(left)} the box"
    else:
        box = f"  {short_left(left)}"
    outcome = f"  [{card.outcome}]" if card.outcome else ""
    who = f"  @{card.assignee}" if card.assignee else ""
    return f"#{card.id:<5} {card.lane:<25} {card.kind:<10} {card.title}{outcome}{box}{who}"


def _creates(args: argparse.Namespace) -> tuple[bool, bool]:
    """Whether the command may create the board file, and the named board in it. Commands
    that add something to an empty board do; reading never writes, and a command that needs
    a card cannot start a board (a typo in --db would leave a ghost board behind)."""
    command = args.command
    adds = command in ("add", "demo") or (command, getattr(args, "phase_command", None)) == (
        "phase", "start") or (command, getattr(args, "lane_command", None)) == ("lane", "limit")
    return adds or command == "import", adds


class Context:
    """What every command needs: the open store, the board name, the user, the clock."""

    def __init__(self, args: argparse.Namespace, *, create: bool = False,
                 create_board: bool = False) -> None:
        from tkanban.core.queries import board_exists
        from tkanban.core.records import DEFAULT_BOARD
        from tkanban.core.store import Store

        explicit = getattr(args, "db", None)
        self.path = resolve_db_path(explicit)
        if (create and not explicit and not os.environ.get("TKANBAN_DB")
                and self.path == default_db_path()):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.board = getattr(args, "board", None) or DEFAULT_BOARD
        self.user = _user(args)
        self.store = Store.open(Path(self.path), storage=getattr(args, "storage", "auto"),
                                create=create)
        if self.store.upgrade_backup is not None:
            print(f"{PROG}: the board file was upgraded to this tkanban's format; the file as "
                  f"it was is kept at {self.store.upgrade_backup}", file=sys.stderr)
        if create_board and not board_exists(self.store, self.board):
            from tkanban.core.board import ensure_board

            ensure_board(self.store, self.board)

    @property
    def now(self) -> float:
        return self.store.clock()


def cmd_add(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import add_card
    from tkanban.core.timebox import parse_duration

    kind = args.kind or ("hypothesis" if args.criteria else "task")
    card = add_card(
        ctx.store, ctx.board, args.title, author=ctx.user, kind=kind, lane=args.lane,
        description=args.description, criteria=args.criteria or "",
        timebox_seconds=parse_duration(args.timebox) if args.timebox else None,
        assignee=args.assignee,
    )
    print(card.id)


def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import list_cards

    cards = list_cards(ctx.store, ctx.board, lane=args.lane, include_archived=args.archived)
    now = ctx.now
    if args.json:
        _json([card.to_json(now) for card in cards])
    elif not cards:
        print("no cards", file=sys.stderr)
    else:
        for card in cards:
            _out(_card_line(card, now))


def cmd_show(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import get_card
    from tkanban.core.timebox import countdown, format_duration, local_time

    detail = get_card(ctx.store, args.id)
    card, now = detail.card, ctx.now
    if args.json:
        data = card.to_json(now)
        data["criteria_status"] = [
            {"criterion": str(s.criterion), "value": s.value, "met": s.met}
            for s in detail.criteria_status()
        ]
        data["log"] = [entry.to_json() for entry in detail.entries]
        _json(data)
        return
    lines = [f"#{card.id} {card.title}", f"  kind:     {card.kind}", f"  lane:     {card.lane}",
             f"  author:   {card.author}"]
    if card.assignee:
        lines.append(f"  assignee: @{card.assignee}")
    if card.criteria:
        lines.append("  criteria:")
        for status in detail.criteria_status():
            mark = {True: "met", False: "not met", None: "not measured"}[status.met]
            value = "" if status.value is None else f" (latest {status.value:g})"
            lines.append(f"    {status.criterion}: {mark}{value}")
    if card.timebox_seconds:
        left = card.remaining(now)
        state = "clock not started" if left is None else countdown(left)
        lines.append(f"  time box: {format_duration(card.timebox_seconds)}, {state}")
    if card.outcome:
        lines.append(f"  outcome:  {card.outcome}" + (f": {card.conclusion}"
                                                      if card.conclusion else ""))
    if card.archived:
        lines.append("  archived")
    if card.description:
        lines += ["", *("  " + line for line in card.description.splitlines())]
    lines += ["", "research log:"]
    for entry in detail.entries:
        metrics = "  " + " ".join(f"{k}={v:g}" for k, v in entry.metrics.items()) \
            if entry.metrics else ""
        lines.append(f"  {local_time(entry.at)}  {entry.author:<10} {entry.kind:<8} "
                     f"{entry.text}{metrics}")
    _out("\n".join(lines))


def cmd_move(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import move_card

    card = move_card(ctx.store, args.id, args.lane, author=ctx.user,
                     position=None if args.position is None else max(args.position - 1, 0),
                     outcome=args.outcome, conclusion=args.note)
    _out(f"#{card.id} is in {card.lane}, position {card.position + 1}")


def cmd_log(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import add_log
    from tkanban.core.hypothesis import parse_metric

    metrics = dict(parse_metric(m) for m in args.metric)
    entry = add_log(ctx.store, args.id, args.text, author=ctx.user, metrics=metrics)
    print(entry.id)


def cmd_edit(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import edit_card

    card = edit_card(ctx.store, args.id, author=ctx.user, title=args.title,
                     description=args.description, criteria=args.criteria,
                     assignee=args.assignee, kind=args.kind)
    _out(f"#{card.id} {card.title} (version {card.version})")


def cmd_reorder(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import reorder_card

    card = reorder_card(ctx.store, args.id, max(args.position - 1, 0), author=ctx.user)
    _out(f"#{card.id} is at position {card.position + 1} in {card.lane}")


def cmd_archive(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import archive_card

    card = archive_card(ctx.store, args.id, author=ctx.user)
    _out(f"#{card.id} archived")


def cmd_timebox(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import set_timebox
    from tkanban.core.timebox import format_duration, parse_duration

    card = set_timebox(ctx.store, args.id, parse_duration(args.duration), author=ctx.user,
                       reason=args.reason)
    _out(f"#{card.id} time box {format_duration(card.timebox_seconds)}")


def cmd_outcome(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board import set_outcome

    card = set_outcome(ctx.store, args.id, args.outcome, args.note, author=ctx.user)
    _out(f"#{card.id} {card.outcome}")


def cmd_export(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.transfer import dump, export_json, export_markdown

    if args.format == "json":
        boards = [args.board] if getattr(args, "board", None) else None
        text = dump(export_json(ctx.store, boards))
    else:
        text = export_markdown(ctx.store, ctx.board, ctx.now)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def read_export(source: str) -> Any:
    """The export in the file ``source`` ('-' for stdin), checked whole: before a board file
    is opened, so a bad export leaves nothing behind."""
    from tkanban.core.errors import ValidationError
    from tkanban.core.exchange import parse_export

    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
        data = json.loads(raw)
    except OSError as exc:
        raise ValidationError(f"cannot read {source}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{source} is not valid JSON ({exc})") from None
    return parse_export(data)


def cmd_import(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.transfer import import_json

    counts = import_json(ctx.store, args.export)
    print(f"imported {counts['boards']} board(s), {counts['cards']} card(s), "
          f"{counts['log']} log entries, {counts['phases']} phase(s)")


def cmd_mentions(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import mentions_of
    from tkanban.core.timebox import local_time

    found = mentions_of(ctx.store, ctx.user, ctx.board)
    if args.json:
        _json([{"card_id": m.card_id, "card_title": m.card_title, **m.entry.to_json()}
               for m in found])
        return
    if not found:
        print(f"nothing mentions @{ctx.user}", file=sys.stderr)
    for m in found:
        _out(f"{local_time(m.entry.at)}  #{m.card_id} {m.card_title}\n"
             f"    {m.entry.author}: {m.entry.text}")


def cmd_phase(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import list_phases
    from tkanban.core.timebox import format_duration, local_time, parse_duration

    if args.phase_command == "start":
        from tkanban.core.phase import start_phase

        phase = start_phase(ctx.store, ctx.board, args.name, parse_duration(args.timebox),
                            args.goal, author=ctx.user)
        _out(f"phase {phase.name!r} started: {format_duration(phase.timebox_seconds)}, "
             f"ends {local_time(phase.deadline)}")
    elif args.phase_command == "end":
        from tkanban.core.phase import end_phase

        phase = end_phase(ctx.store, ctx.board, args.decision, args.note, author=ctx.user)
        _out(f"phase {phase.name!r} ended: {phase.decision}")
    else:
        phases = list_phases(ctx.store, ctx.board)
        if args.json:
            _json([p.to_json() for p in phases])
            return
        if not phases:
            print("no phases", file=sys.stderr)
        for p in phases:
            state = (f"{p.decision} ({p.decided_by}, {local_time(p.ended_at)})"
                     if p.ended_at else "running")
            note = f" — {p.note}" if p.note else ""
            _out(f"{p.id:<3} {p.name:<20} {format_duration(p.timebox_seconds):<8} "
                 f"started {local_time(p.started_at)}  {state}{note}  goal: {p.goal}")


def cmd_lane(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import get_lanes, list_cards

    if args.lane_command == "limit":
        from tkanban.core.board import set_wip_limit

        if args.limit < 0:
            raise SystemExit(_usage_error(f"a WIP limit cannot be negative: {args.limit}"))
        lane = set_wip_limit(ctx.store, ctx.board, args.lane, args.limit or None)
        _out(f"{lane.name}: WIP limit {lane.wip_limit or 'none'}")
        return
    cards = list_cards(ctx.store, ctx.board)
    for lane in get_lanes(ctx.store, ctx.board):
        count = sum(1 for c in cards if c.lane_number == lane.number)
        limit = f"/{lane.wip_limit}" if lane.wip_limit else ""
        _out(f"{lane.number} {lane.slug:<18} {lane.name:<26} {count}{limit}")


def cmd_retro(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.queries import history, phase_refs
    from tkanban.core.retro import compute, current_month, parse_month

    now = ctx.now
    year, month = parse_month(args.month) if args.month else current_month(now)
    cards, lanes = history(ctx.store, ctx.board)
    retro = compute(cards, lanes, phase_refs(ctx.store, ctx.board), year, month, now)
    if args.format == "json":
        _json(retro.to_json())
    else:
        _out(retro.to_markdown())


def cmd_check(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import BoardFileError

    problems = ctx.store.integrity_problems()
    if problems:
        raise BoardFileError(
            f"the board file is damaged ({'; '.join(problems[:3])}): {ctx.path}; restore a "
            "copy made by 'tkanban backup', or save what still reads with 'tkanban export'")
    _out(f"ok: {ctx.path} passes SQLite's full integrity check")


def cmd_backup(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.errors import BoardFileError

    dest = Path(args.dest).expanduser()
    problems = ctx.store.backup(dest)
    if problems:
        raise BoardFileError(f"copied to {dest}, but the copy fails the integrity check "
                             f"({problems[0]}): the board file is damaged")
    _out(f"copied {ctx.path} to {dest} ({dest.stat().st_size:,} bytes, integrity ok)")


def cmd_demo(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.demo import fill_demo

    count = fill_demo(ctx.store, ctx.board)
    _out(f"board {ctx.board!r} in {ctx.path} now holds {count} demo cards; "
         f"open it with: tkanban --db {ctx.path} --board {ctx.board}")


COMMANDS: dict[str, Callable[[Context, argparse.Namespace], None]] = {
    "add": cmd_add, "list": cmd_list, "show": cmd_show, "move": cmd_move, "log": cmd_log,
    "edit": cmd_edit, "reorder": cmd_reorder, "archive": cmd_archive, "timebox": cmd_timebox,
    "outcome": cmd_outcome, "export": cmd_export, "import": cmd_import,
    "mentions": cmd_mentions, "phase": cmd_phase, "lane": cmd_lane, "demo": cmd_demo,
    "retro": cmd_retro, "check": cmd_check, "backup": cmd_backup,
}


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def open_board(args: argparse.Namespace) -> int:
    """Open the Textual board (imported only here: the command line stays light)."""
    from tkanban.tui.app import run_board

    return run_board(
        db=getattr(args, "db", None), board=getattr(args, "board", None), user=_user(args),
        storage=getattr(args, "storage", "auto"),
    )


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (rolling back a write in flight) and exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_stopped_by: list[int] = []


def _stop(signum: int, frame: object) -> None:
    if not _stopped_by:
        _stopped_by.append(signum)
        raise Stopped(signum)


def _stop_on_signals() -> dict[int, Any]:
    """Turn SIGTERM and SIGHUP (a closed terminal, a dropped SSH session) into an exception,
    so that a write in flight is rolled back or committed whole and the command exits
    cleanly, rather than dying between two statements."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return open_board(args)
    _stopped_by.clear()
    previous = _stop_on_signals()
    try:
        status = _run(args)
    except BaseException:
        # the signal may also surface through another exception raised while unwinding
        if not _stopped_by:
            raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if _stopped_by:
        name = signal.Signals(_stopped_by[0]).name
        print(f"{PROG}: stopped by {name}; nothing was left half-written", file=sys.stderr)
        return 128 + _stopped_by[0]
    return status


def _run(args: argparse.Namespace) -> int:
    from tkanban.core.errors import TkanbanError

    try:
        if args.command == "import":
            args.export = read_export(args.file)
        create_file, create_board = _creates(args)
        ctx = Context(args, create=create_file, create_board=create_board)
        try:
            COMMANDS[args.command](ctx, args)
        finally:
            ctx.store.close()
    except TkanbanError as exc:
        from tkanban.core.text import visible

        print(f"{PROG}: error: {visible(str(exc), multiline=False)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 1
    return 0
