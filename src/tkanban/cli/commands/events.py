"""``events`` (the board's changes as JSON lines, for scripts) and ``watch`` (each event
delivered to commands and webhooks as it happens)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tkanban.cli.arguments import seconds, since_arg
from tkanban.cli.context import Context
from tkanban.cli.registry import Commands
from tkanban.cli.stopping import stopped
from tkanban.core.errors import ReadOnlyError, UnavailableError, ValidationError

if TYPE_CHECKING:
    from tkanban.core.events.changes import Event

BATCH = 500
EXPIRE_EVERY = 5.0
"""Seconds between two looks for time boxes that ran out, while following."""
TYPES = ("TYPE is an event type (card.added, card.moved, card.edited, card.archived, "
         "card.restored, card.blocked, card.unblocked, card.related, card.unrelated, "
         "log.added, log.struck, outcome.recorded, timebox.set, timebox.extended, "
         "timebox.expired, wip.exceeded, phase.started, phase.ended) or a family (card, "
         "log, timebox …).")


def register(commands: Commands) -> None:
    p = commands.add("events", "the board's changes as JSON lines, one event each", cmd_events,
                     epilog="Each event has a stable id, its type, the time, the actor, the "
                     "board and, for a card, the card as 'list --json' shows it. " + TYPES)
    p.add_argument("--since", type=since_arg, metavar="ID",
                   help="only events after this id ('latest': only new ones; default: all)")
    p.add_argument("--follow", "-f", action="store_true",
                   help="stay open and print new events as they happen")
    p.add_argument("--type", action="append", default=[], metavar="TYPE",
                   help="only events of this type or family (repeatable)")
    p.add_argument("--mention", metavar="USER", help="only log entries that mention USER")

    p = commands.add("watch", "deliver the board's events to commands and webhooks, as they "
                     "happen", cmd_watch,
                     epilog="--exec runs COMMAND with /bin/sh for each event, the event's JSON "
                     "on its standard input and its fields in TKANBAN_EVENT_ID, _TYPE, _AT, "
                     "_ACTOR, _BOARD, _SUMMARY, _CARD_ID, _CARD_TITLE, _CARD_LANE, "
                     "_CARD_ASSIGNEE, _TEXT, _MENTIONS, _FROM and _TO. --webhook POSTs the "
                     "JSON (--format slack: a {\"text\": ...} body for Slack and Mattermost "
                     "incoming webhooks); only a 2xx answer delivers it, and a redirect is not "
                     "followed. A failed delivery is retried with backoff without holding up "
                     "the next events. The board keeps where the watcher named --name got to: "
                     "restarted, it goes on from there (an event may come twice; its id "
                     "tells). " + TYPES)
    p.add_argument("--exec", action="append", default=[], metavar="COMMAND",
                   help="a shell command to run for each event (repeatable)")
    p.add_argument("--webhook", action="append", default=[], metavar="URL",
                   help="an http(s) URL to POST each event to (repeatable)")
    p.add_argument("--format", choices=["json", "slack"], default="json",
                   help="webhook body: the event's JSON, or Slack/Mattermost {\"text\": ...}")
    p.add_argument("--name", default="watch",
                   help="the watcher's name: the board keeps where it got to (default: watch)")
    p.add_argument("--since", type=since_arg, metavar="ID",
                   help="start after this event id instead of where --name got to (first run: "
                   "'latest')")
    p.add_argument("--type", action="append", default=[], metavar="TYPE",
                   help="only events of this type or family (repeatable)")
    p.add_argument("--mention", metavar="USER", help="only log entries that mention USER")
    p.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS",
                   help="how long a hook may take, answer and all, before it counts as failed "
                   "(default: 10)")
    p.add_argument("--give-up", default="1d", metavar="DURATION",
                   help="stop retrying an event after failing this long: 90s, 30m, 1d "
                   "(default: 1d)")
    p.add_argument("--once", action="store_true",
                   help="deliver the events there are, then exit (for cron)")


def _start(ctx: Context, since: int | str | None, default: int) -> int:
    from tkanban.core.events.changes import latest_id

    if since == "latest":
        return latest_id(ctx.store, ctx.board)
    return default if since is None else int(since)

def _expire(ctx: Context) -> None:
    """Write the events of time boxes that ran out (nothing on a board this user cannot
    write: another watcher or board will)."""
    from tkanban.core.board.cards import expire_due

    try:
        expire_due(ctx.store, ctx.board)
    except (ReadOnlyError, UnavailableError):
        pass

def _follow(ctx: Context, since: int, follow: bool, each: Callable[[list[Event]], None],
            after_batch: Callable[[], None] = lambda: None,
            done: Callable[[], bool] = lambda: False) -> None:
    """Read the board's events after ``since`` in batches, handing each batch to ``each``;
    with ``follow``, go on as new ones are written until stopped (or ``done``)."""
    from tkanban.core.events.changes import Changes, events_after

    changes = Changes(ctx.store) if follow else None
    next_expiry = 0.0
    complained = False
    while not stopped():
        try:
            if time.monotonic() >= next_expiry:
                _expire(ctx)
                next_expiry = time.monotonic() + EXPIRE_EVERY
            batch = events_after(ctx.store, ctx.board, since, BATCH)
        except UnavailableError as exc:
            if not follow or stopped():
                raise
            if not complained:
                print(f"tkanban: {exc}; trying again", file=sys.stderr, flush=True)
                complained = True
            time.sleep(1.0)
            continue
        complained = False
        each(batch)
        if batch:
            since = batch[-1].id
        after_batch()
        if len(batch) == BATCH:
            continue
        if changes is None or stopped() or done():
            return
        changes.wait(1.0)

def cmd_events(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.events.changes import check_types, matches
    from tkanban.core.events.hooks import event_json

    types = check_types(args.type)
    mention = args.mention.lower() if args.mention else None

    def each(batch: list[Event]) -> None:
        lines = [event_json(e) + "\n" for e in batch if matches(e, types, mention)]
        if lines:
            sys.stdout.write("".join(lines))
            sys.stdout.flush()

    _follow(ctx, _start(ctx, args.since, 0), args.follow, each)

def cmd_watch(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.events.changes import check_types, cursor, latest_id, matches, save_cursor
    from tkanban.core.events.hooks import CommandHook, Deliverer, Hook, WebhookHook, low_water
    from tkanban.core.model.text import visible
    from tkanban.core.model.timebox import parse_duration

    if not args.exec and not args.webhook:
        raise ValidationError("say where events go: --exec COMMAND and/or --webhook URL")
    types = check_types(args.type)
    mention = args.mention.lower() if args.mention else None
    raw = args.give_up.strip().lower()
    give_up = float(raw.rstrip("s")) if raw.rstrip("s").isdigit() else parse_duration(raw)
    hooks: list[Hook] = [CommandHook(c, args.timeout) for c in args.exec]
    try:
        hooks += [WebhookHook(u, args.format, args.timeout) for u in args.webhook]
    except ValueError as exc:
        raise ValidationError(str(exc), "webhook") from None

    def log(message: str) -> None:
        print(f"tkanban watch: {visible(message, multiline=False)}", file=sys.stderr,
              flush=True)

    kept = cursor(ctx.store, ctx.board, args.name)
    if args.since is not None:
        start = _start(ctx, args.since, 0)
    else:
        start = kept if kept is not None else latest_id(ctx.store, ctx.board)
    if kept != start:
        save_cursor(ctx.store, ctx.board, args.name, start)
    where = "where it stopped" if kept == start else "event"
    log(f"{args.name!r} delivers the events of board {ctx.board!r} after {where} {start} to "
        + ", ".join(h.label for h in hooks))
    deliverers = [Deliverer(h, log, give_up) for h in hooks]
    state = {"fetched": start, "saved": start, "at": 0.0}

    def each(batch: list[Event]) -> None:
        for event in batch:
            if matches(event, types, mention):
                for deliverer in deliverers:
                    deliverer.add(event)
        if batch:
            state["fetched"] = batch[-1].id

    def keep_cursor() -> None:
        mark = low_water(deliverers, int(state["fetched"]))
        if mark != state["saved"] and time.monotonic() - state["at"] >= 0.5:
            try:
                save_cursor(ctx.store, ctx.board, args.name, mark)
            except UnavailableError:
                return  # kept next time round
            state["saved"], state["at"] = mark, time.monotonic()

    def done() -> bool:
        return bool(args.once) and low_water(deliverers, int(state["fetched"])) == state[
            "fetched"]

    try:
        _follow(ctx, start, True, each, keep_cursor, done)
        if args.once:
            state["at"] = 0.0
            keep_cursor()
    finally:
        for deliverer in deliverers:
            deliverer.stop()
    if args.once:
        log(f"delivered every event up to {state['fetched']}")
