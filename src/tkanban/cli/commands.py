"""The commands: each parses nothing and prints what a core call returns.

Every function takes the open ``Context`` and the parsed arguments. Nothing here imports
Textual or, until a command needs it, the ORM: scripts call the command line in loops.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tkanban.cli.events import cmd_events, cmd_watch
from tkanban.cli.files import cmd_backup, cmd_check, cmd_export, cmd_import
from tkanban.cli.output import out, out_json, warn
from tkanban.cli.parser import PROG
from tkanban.cli.relations import cmd_relate, cmd_unrelate, relation_lines
from tkanban.cli.runs import cmd_board_setting, cmd_link, cmd_sync, cmd_unlink, run_lines
from tkanban.cli.serve import cmd_serve
from tkanban.core.storage import open_store
from tkanban.user.paths import default_db_path, resolve_db_path

if TYPE_CHECKING:
    from tkanban.user.config import Config


def settings(args: argparse.Namespace, *, always: bool = False) -> Config:
    """config.toml; a command reads it only when something it may set was not given
    otherwise (a script passing --db, --board and --user never reads it); the board and
    ``keys`` always do (key map, theme)."""
    from tkanban.user.config import Config, load_config

    given = ((getattr(args, "db", None) or os.environ.get("TKANBAN_DB"))
             and (getattr(args, "user", None) or os.environ.get("TKANBAN_USER"))
             and getattr(args, "board", None))
    if given and not always:
        return Config()
    config = load_config()
    for problem in config.problems:
        warn(problem)
    return config


def _user(args: argparse.Namespace, configured: str | None = None) -> str:
    from tkanban.core.model.text import clean_name

    name = getattr(args, "user", None) or os.environ.get("TKANBAN_USER") or configured
    if name:
        return clean_name(name)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "user"
    return "".join(ch for ch in login if ch.isalnum() or ch in "._-") or "user"


def _card_line(card: Any, now: float) -> str:
    from tkanban.core.model.timebox import finished, short_left

    left = card.remaining(now)
    if left is None:
        box = ""
    elif card.clock_stop is not None:
        box = "  " + finished(left, short=True)
    else:
        box = f"  {short_left(left)}"
    outcome = f"  [{card.outcome}]" if card.outcome else ""
    outcome += "  (archived)" if card.archived else ""
    who = f"  @{card.assignee}" if card.assignee else ""
    who += f"  (blocked: {card.blocked})" if card.blocked else ""
    who += ("  (waits on " + ", ".join(f"#{i}" for i in card.waiting_on) + ")"
            if card.waiting_on else "")
    who += f"  labels: {', '.join(card.labels)}" if card.labels else ""
    return f"#{card.id:<5} {card.lane:<25} {card.kind:<10} {card.title}{outcome}{box}{who}"


class Context:
    """What every command needs: the open store, the board name, the user, the clock."""

    def __init__(self, args: argparse.Namespace, *, create: bool = False,
                 create_board: bool = False, salvage: bool = False) -> None:
        """``salvage``: a damaged board file opens as what still reads of it (``export``)."""
        from tkanban.core.board.reads import board_exists
        from tkanban.core.errors import DamagedError
        from tkanban.core.model.records import DEFAULT_BOARD

        config = settings(args)
        location = resolve_db_path(getattr(args, "db", None), config.db)
        self.location = location
        if create and location == default_db_path():
            default_db_path().parent.mkdir(parents=True, exist_ok=True)
        self.board = getattr(args, "board", None) or config.board or DEFAULT_BOARD
        self.board_chosen = self.board != DEFAULT_BOARD or bool(getattr(args, "board", None))
        """The board was named (``--board``, config.toml): card commands keep to it."""
        self.user = _user(args, config.user)
        try:
            self.store = open_store(location, storage=getattr(args, "storage", "auto"),
                                    create=create)
        except DamagedError as exc:
            if not salvage or not isinstance(location, Path):
                raise
            from tkanban.core.storage.salvage import open_salvaged

            warn(f"{exc}; saving what still reads of it")
            self.store, report = open_salvaged(location)
            for line in report.lines():
                warn(line)
        if self.store.upgrade_backup is not None:
            print(f"{PROG}: the board file was upgraded to this tkanban's format; the file as "
                  f"it was is kept at {self.store.upgrade_backup}", file=sys.stderr)
        if create_board and not board_exists(self.store, self.board):
            from tkanban.core.board.cards import ensure_board

            ensure_board(self.store, self.board)

    @property
    def now(self) -> float:
        return self.store.clock()


def cmd_add(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import add_card
    from tkanban.core.model.timebox import parse_duration

    kind = args.kind or ("hypothesis" if args.criteria else "task")
    card = add_card(
        ctx.store, ctx.board, args.title, author=ctx.user, kind=kind, lane=args.lane,
        description=args.description, criteria=args.criteria or "",
        timebox_seconds=parse_duration(args.timebox) if args.timebox else None,
        assignee=args.assignee, labels=args.label,
    )
    print(card.id)


def cmd_list(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import list_cards

    cards = list_cards(ctx.store, ctx.board, lane=args.lane, include_archived=args.archived)
    now = ctx.now
    if args.filter:
        from dataclasses import replace

        from tkanban.core.board.reads import cards_mentioning
        from tkanban.core.model.filters import parse_filter

        wanted = parse_filter(args.filter)
        wanted = replace(wanted, mentioned=frozenset(
            cards_mentioning(ctx.store, ctx.board, wanted.users)))
        cards = [card for card in cards if wanted.matcher(now)(card)]
    if args.json:
        out_json([card.to_json(now) for card in cards])
    elif not cards:
        print("no cards", file=sys.stderr)
    else:
        for card in cards:
            out(_card_line(card, now))


def cmd_show(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import get_card
    from tkanban.core.model.timebox import countdown, format_duration, local_time

    detail = get_card(ctx.store, args.id)
    card, now = detail.card, ctx.now
    if args.json:
        data = card.to_json(now)
        data["criteria_status"] = [
            {"criterion": str(s.criterion), "value": s.value, "met": s.met,
             "source": detail.source_of(s.criterion.metric)}
            for s in detail.criteria_status()
        ]
        data["runs"] = [link.to_json() for link in detail.runs]
        data["log"] = [entry.to_json() for entry in detail.entries]
        data["related"] = [related.to_json() for related in detail.related]
        data["grew_out_of"] = [related.to_json() for related in detail.chain]
        out_json(data)
        return
    lines = [f"#{card.id} {card.title}", f"  kind:     {card.kind}", f"  lane:     {card.lane}",
             f"  author:   {card.author}"]
    if card.assignee:
        lines.append(f"  assignee: @{card.assignee}")
    if card.labels:
        lines.append(f"  labels:   {', '.join(card.labels)}")
    if card.blocked:
        lines.append(f"  blocked:  {card.blocked}")
    if card.criteria:
        lines.append("  criteria:")
        for status in detail.criteria_status():
            mark = {True: "met", False: "not met", None: "not measured"}[status.met]
            source = detail.source_of(status.criterion.metric)
            value = "" if status.value is None else f" (latest {status.value:g}" + (
                f", {source})" if source else ")")
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
    lines += relation_lines(detail)
    lines += run_lines(detail)
    if card.description:
        lines += ["", *("  " + line for line in card.description.splitlines())]
    lines += ["", "research log:"]
    for entry in detail.entries:
        metrics = "  " + " ".join(f"{k}={v:g}" for k, v in entry.metrics.items()) \
            if entry.metrics else ""
        text = entry.text.replace("\n", "\n" + " " * 40)  # continuation lines under the text
        lines.append(f"  {local_time(entry.at)}  {entry.author:<10} {entry.kind:<8} "
                     f"{text}{metrics}")
    out("\n".join(lines))


def cmd_move(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import move_card

    card = move_card(ctx.store, args.id, args.lane, author=ctx.user,
                     position=None if args.position is None else max(args.position - 1, 0),
                     outcome=args.outcome, conclusion=args.note)
    out(f"#{card.id} is in {card.lane}, position {card.position + 1}")
    warning = card.waiting_warning(card.lane_slug)
    if warning:
        warn(warning)


def cmd_log(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import add_log
    from tkanban.core.model.criteria import parse_metric

    metrics = dict(parse_metric(m) for m in args.metric)
    text = args.text
    written = text is None and not metrics and sys.stdin.isatty()
    if text is None or text == "-":
        text = "" if text is None and metrics else _long_text(text, "", "log entry")
    with _kept_if_refused(text, "log entry") if written else contextlib.nullcontext():
        entry = add_log(ctx.store, args.id, text, author=ctx.user, metrics=metrics)
    print(entry.id)


def _long_text(given: str | None, current: str, what: str) -> str:
    """Text given as '-' (standard input), or none: read from standard input when it is a
    pipe, else written in the user's editor starting from ``current``. An editor that fails,
    or text left empty, changes nothing."""
    from tkanban.core.errors import ValidationError
    from tkanban.user.editor import edit_text

    if given == "-" or not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        edited = edit_text(current, name=what.replace(" ", "-"))
        if edited is None:
            raise ValidationError(f"the editor failed or was stopped; nothing was changed "
                                  f"({what})")
        text = edited
    if not text.strip():
        raise ValidationError(f"the {what} was left empty; nothing was changed")
    return text


@contextlib.contextmanager
def _kept_if_refused(text: str, what: str) -> Iterator[None]:
    """Text the user wrote in their editor is not lost when the board refuses it: it is kept
    in a file, and the error says where."""
    from tkanban.core.errors import ValidationError

    try:
        yield
    except ValidationError as exc:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="tkanban-",
                                         suffix=f"-{what.replace(' ', '-')}.md",
                                         delete=False) as kept:
            kept.write(text)
        raise ValidationError(f"{exc}; your text is kept in {kept.name}", exc.field) from None


def cmd_edit(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.cli.parser import EDIT
    from tkanban.core.board.cards import edit_card
    from tkanban.core.board.reads import get_card

    written = args.description == EDIT and sys.stdin.isatty()
    if args.description in (EDIT, "-"):
        current = get_card(ctx.store, args.id).card.description
        given = "-" if args.description == "-" else None
        args.description = _long_text(given, current, "description")

    with (_kept_if_refused(args.description, "description") if written
          else contextlib.nullcontext()):
        card = edit_card(ctx.store, args.id, author=ctx.user, title=args.title,
                         description=args.description, criteria=args.criteria,
                         assignee=args.assignee, kind=args.kind, labels=args.label)
    out(f"#{card.id} {card.title} (version {card.version})")


def cmd_block(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.blocked import block_card, unblock_card

    if args.command == "unblock":
        out(f"#{unblock_card(ctx.store, args.id, author=ctx.user).id} unblocked")
        return
    card = block_card(ctx.store, args.id, args.reason, author=ctx.user)
    out(f"#{card.id} blocked: {card.blocked}")


def cmd_reorder(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import reorder_card

    card = reorder_card(ctx.store, args.id, max(args.position - 1, 0), author=ctx.user)
    out(f"#{card.id} is at position {card.position + 1} in {card.lane}")


def cmd_archive(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import archive_card

    card = archive_card(ctx.store, args.id, author=ctx.user)
    out(f"#{card.id} archived")


def cmd_restore(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.undo import restore_card

    card = restore_card(ctx.store, args.id, author=ctx.user)
    out(f"#{card.id} restored to {card.lane}, position {card.position + 1}")


def cmd_timebox(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import set_timebox
    from tkanban.core.model.timebox import format_duration, parse_duration

    card = set_timebox(ctx.store, args.id, parse_duration(args.duration), author=ctx.user,
                       reason=args.reason)
    out(f"#{card.id} time box {format_duration(card.timebox_seconds)}")


def cmd_outcome(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import set_outcome

    card = set_outcome(ctx.store, args.id, args.outcome, args.note, author=ctx.user)
    out(f"#{card.id} {card.outcome}")


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
            raise SystemExit(_usage_error(f"a WIP limit cannot be negative: {args.limit}"))
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


def run_keys(args: argparse.Namespace) -> int:
    """``tkanban keys``: every action with the keys in force (config.toml applied)."""
    from tkanban.user.config import keys_in_force
    from tkanban.user.keys import ACTIONS, shown_keys

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
    from tkanban.user.config import config_path

    print(config_path())
    return 0


def cmd_demo(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.demo import fill_demo

    count = fill_demo(ctx.store, ctx.board)
    out(f"board {ctx.board!r} in {ctx.store.label} now holds {count} demo cards; "
         f"open it with: tkanban --db {ctx.store.label} --board {ctx.board}")


COMMANDS: dict[str, Callable[[Context, argparse.Namespace], None]] = {
    "add": cmd_add, "list": cmd_list, "show": cmd_show, "move": cmd_move, "log": cmd_log,
    "edit": cmd_edit, "reorder": cmd_reorder, "archive": cmd_archive, "restore": cmd_restore,
    "timebox": cmd_timebox, "block": cmd_block, "unblock": cmd_block,
    "relate": cmd_relate, "unrelate": cmd_unrelate, "events": cmd_events, "watch": cmd_watch,
    "link": cmd_link, "unlink": cmd_unlink, "sync": cmd_sync, "config": cmd_board_setting,
    "serve": cmd_serve,
    "outcome": cmd_outcome, "export": cmd_export, "import": cmd_import,
    "mentions": cmd_mentions, "phase": cmd_phase, "lane": cmd_lane, "demo": cmd_demo,
    "retro": cmd_retro, "check": cmd_check, "backup": cmd_backup,
}


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2
