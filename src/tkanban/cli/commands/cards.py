"""The commands on one card: ``add``, ``list``, ``show``, ``move``, ``log``, ``edit``,
``block``/``unblock``, ``reorder``, ``archive``, ``restore``, ``timebox`` and ``outcome``.

Each command imports the core it needs when it runs: the writes need the ORM (``import
sqlmodel`` alone takes about 0.45 s here), and a reading command must not pay for it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from tkanban.cli.arguments import EDIT, card_id, number
from tkanban.cli.commands.relations import relation_lines
from tkanban.cli.commands.runs import run_lines
from tkanban.cli.context import Context, Opens
from tkanban.cli.output import out, out_json, warn
from tkanban.cli.registry import Commands
from tkanban.core.model.evidence import AGAINST, MODE_WORDS, against

OUTCOMES = ["validated", "invalidated", "inconclusive"]


def register(commands: Commands) -> None:
    p = commands.add("add", "add a card and print its id", cmd_add, Opens.NEW_BOARD)
    p.add_argument("title")
    p.add_argument("--kind", choices=["hypothesis", "task"],
                   help="hypothesis or task (default: hypothesis when --criteria is given)")
    p.add_argument("--lane", default="todo", help="lane to add to (default: todo)")
    p.add_argument("--timebox", metavar="DURATION", help="time box, e.g. 4h, 2d, 1w")
    p.add_argument("--criteria", help='exit criteria, e.g. "precision >= 0.95 and recall > 0.7"')
    p.add_argument("--description", default="", help="longer description")
    p.add_argument("--assignee", metavar="NAME", help="who works on it")
    p.add_argument("--label", action="append", default=[], metavar="LABEL",
                   help="a free label, e.g. data or gpu (repeatable)")

    p = commands.add("list", "list cards", cmd_list)
    p.add_argument("--lane", help="only this lane")
    p.add_argument("--filter", metavar="TEXT",
                   help="as / in the board: words, @user, kind:hypothesis, label:data, "
                   "blocked, waiting, overdue")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--archived", action="store_true",
                   help="include archived cards (marked archived; 'tkanban restore ID' puts "
                   "one back)")

    p = commands.add("show", "show a card with its research log", cmd_show)
    p.add_argument("id", type=card_id)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add("move", "move a card to a lane; a hypothesis entering Done needs --outcome",
                     cmd_move)
    p.add_argument("id", type=card_id)
    p.add_argument("lane", help="number, slug or name")
    outcome_arguments(p, "needed for a hypothesis entering Done")
    p.add_argument("--position", type=number, help="place in the lane, 1 = top")

    p = commands.add("close", "close a card into Done in one move, from any lane (a hypothesis "
                     "with its --outcome)", cmd_close,
                     epilog="A hypothesis that stops where it ends (\"the accuracy did not "
                     "improve\") goes straight to Done: the lanes it skips get no time in the "
                     "retro. An outcome against the card's evidence needs --reason.")
    p.add_argument("id", type=card_id)
    outcome_arguments(p, "required for a hypothesis")

    p = commands.add("log", "append to a card's research log", cmd_log,
                     epilog="With no TEXT (and no --metric), the entry is read from standard "
                     "input when it is a pipe, else written in $VISUAL / $EDITOR (vi by "
                     "default); an editor that fails or leaves the text empty logs nothing.")
    p.add_argument("id", type=card_id)
    p.add_argument("text", nargs="?", default=None,
                   help="the entry (up to 20,000 characters); '-' reads it from standard input")
    p.add_argument("--metric", action="append", default=[], metavar="NAME=VALUE",
                   help="a measurement, e.g. auc=0.83 (repeatable)")

    p = commands.add("edit", "change a card's title, description, criteria, assignee or labels",
                     cmd_edit)
    p.add_argument("id", type=card_id)
    p.add_argument("--title")
    p.add_argument("--description", nargs="?", const=EDIT,
                   help="new description; with no text, edit the current one in $VISUAL / "
                   "$EDITOR ('-' reads it from standard input)")
    p.add_argument("--criteria")
    p.add_argument("--assignee", help="a user name, or '' for nobody")
    p.add_argument("--kind", choices=["hypothesis", "task"])
    p.add_argument("--label", action="append", metavar="LABEL",
                   help="the card's labels, replacing those it has (repeatable; "
                   "--label '' clears them)")

    p = commands.add("block", "mark a card blocked, saying what holds it up", cmd_block)
    p.add_argument("id", type=card_id)
    p.add_argument("--reason", required=True, help="what the card waits for")

    p = commands.add("unblock", "take the block off a card", cmd_unblock)
    p.add_argument("id", type=card_id)

    p = commands.add("reorder", "put a card at a place in its lane (1 = top priority)",
                     cmd_reorder)
    p.add_argument("id", type=card_id)
    p.add_argument("position", type=number)

    p = commands.add("archive", "take a card off the board (it stays in the file)",
                     cmd_archive)
    p.add_argument("id", type=card_id)

    p = commands.add("restore", "put an archived card back, on top of the lane it left",
                     cmd_restore)
    p.add_argument("id", type=card_id)

    p = commands.add("timebox", "set or extend a card's time box", cmd_timebox)
    p.add_argument("id", type=card_id)
    p.add_argument("duration", help="e.g. 4h, 2d, 1w, 1d12h")
    p.add_argument("--reason", default="", help="why (required once the box is running)")

    p = commands.add("outcome", "record a hypothesis's outcome", cmd_outcome)
    p.add_argument("id", type=card_id)
    p.add_argument("outcome", choices=OUTCOMES)
    p.add_argument("--note", default="", help="one-line conclusion")
    p.add_argument("--reason", help="why, when the outcome goes against the card's evidence "
                   "(validated with a criterion not met, invalidated with all met)")


def outcome_arguments(p: argparse.ArgumentParser, when: str) -> None:
    """``--outcome``, ``--note`` and ``--reason``, as ``move`` and ``close`` take them."""
    p.add_argument("--outcome", choices=OUTCOMES, help=when)
    p.add_argument("--note", default="", help="one-line conclusion for the outcome")
    p.add_argument("--reason", help="why, when the outcome goes against the card's evidence "
                   "(validated with a criterion not met, invalidated with all met)")


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

def cmd_show(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.reads import get_card
    from tkanban.core.model.timebox import countdown, finished, format_duration, local_time

    detail = get_card(ctx.store, args.id)
    card, now = detail.card, ctx.now
    if args.json:
        out_json(detail.to_json(now))
        return
    lines = [f"#{card.id} {card.title}", f"  kind:     {card.kind}", f"  lane:     {card.lane}",
             f"  author:   {card.author}"]
    if card.assignee:
        lines.append(f"  assignee: @{card.assignee}")
    if card.labels:
        lines.append(f"  labels:   {', '.join(card.labels)}")
    if card.blocked:
        lines.append(f"  blocked:  {card.blocked}")
    verdicts = detail.verdicts()
    if card.criteria:
        lines.append(f"  criteria: (judged on the {MODE_WORDS[detail.mode]})")
        for verdict in verdicts:
            mark = {True: "met", False: "not met", None: "not measured"}[verdict.met]
            value = "" if verdict.point is None else (
                f" ({verdict.point.value:g}, {verdict.point.where()})")
            lines.append(f"    {verdict.criterion}: {mark}{value}")
    if card.timebox_seconds:
        left = card.remaining(now)
        state = ("clock not started" if left is None else finished(left)
                 if card.clock_stop is not None else countdown(left))  # the pane's words
        lines.append(f"  time box: {format_duration(card.timebox_seconds)}, {state}")
    if card.outcome:
        lines.append(f"  outcome:  {card.outcome}" + (f": {card.conclusion}"
                                                      if card.conclusion else ""))
        if against(card.outcome, verdicts):
            lines.append(f"  {AGAINST}")
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
    from tkanban.core.board.reads import shown_position

    card = move_card(ctx.store, args.id, args.lane, author=ctx.user,
                     position=None if args.position is None else max(args.position - 1, 0),
                     outcome=args.outcome, conclusion=args.note, reason=args.reason)
    out(f"#{card.id} is in {card.lane}, position {shown_position(ctx.store, card)}"
        + (" (Done shows its latest cards first)" if card.lane_slug == "done" else ""))
    _soft_rules(ctx, card)


def _soft_rules(ctx: Context, card: Any) -> None:
    """The soft rules a move bent, as warnings: the move stands."""
    from tkanban.core.board.reads import wip_warning

    for warning in (card.waiting_warning(card.lane_slug), wip_warning(ctx.store, card)):
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
    from tkanban.core.board.blocked import block_card

    card = block_card(ctx.store, args.id, args.reason, author=ctx.user)
    out(f"#{card.id} blocked: {card.blocked}")


def cmd_unblock(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.blocked import unblock_card

    out(f"#{unblock_card(ctx.store, args.id, author=ctx.user).id} unblocked")

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

    card = set_outcome(ctx.store, args.id, args.outcome, args.note, author=ctx.user,
                       reason=args.reason)
    out(f"#{card.id} {card.outcome}")


def cmd_close(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.cards import move_card
    from tkanban.core.model.records import DONE

    card = move_card(ctx.store, args.id, DONE, author=ctx.user, outcome=args.outcome,
                     conclusion=args.note, reason=args.reason)
    out(f"#{card.id} is in {card.lane}" + (f", {card.outcome}" if card.outcome else ""))
    _soft_rules(ctx, card)
