"""``events`` (JSON lines, for scripts) and ``watch`` (delivery to hooks)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tkanban.core.errors import ReadOnlyError, UnavailableError, ValidationError

if TYPE_CHECKING:
    from tkanban.cli.commands import Context
    from tkanban.core.events.changes import Event

BATCH = 500
EXPIRE_EVERY = 5.0
"""Seconds between two looks for time boxes that ran out, while following."""


def since_arg(value: str) -> int | str:
    """``--since``: an event id, or ``latest`` (only what happens from now on)."""
    if value == "latest":
        return value
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an event id or 'latest': {value!r}") from None
    if not 0 <= number <= 2**62:
        raise argparse.ArgumentTypeError(f"an event id is 0 or more: {value!r}")
    return number


def _stopped() -> bool:
    from tkanban.cli import _stopped_by

    return bool(_stopped_by)


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
    while not _stopped():
        try:
            if time.monotonic() >= next_expiry:
                _expire(ctx)
                next_expiry = time.monotonic() + EXPIRE_EVERY
            batch = events_after(ctx.store, ctx.board, since, BATCH)
        except UnavailableError as exc:
            if not follow or _stopped():
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
        if changes is None or _stopped() or done():
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
