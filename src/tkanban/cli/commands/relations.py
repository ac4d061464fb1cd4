"""``relate`` and ``unrelate`` (one card blocks, follows, relates to or duplicates another),
and how ``show`` lists a card's relations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tkanban.cli.arguments import card_id
from tkanban.cli.context import Context
from tkanban.cli.output import out
from tkanban.cli.registry import Commands
from tkanban.core.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from tkanban.core.model.records import CardDetail

RELATIONS = ("RELATION is blocks, blocked-by, follows (grew out of the other's result), "
             "followed-by, relates-to, duplicates or duplicated-by; two words work too "
             "('blocked by').")


def register(commands: Commands) -> None:
    p = commands.add("relate", "tie one card to another: 'relate 3 blocks 5', "
                     "'relate 9 follows 4'", cmd_relate,
                     epilog=RELATIONS + " A card whose blockers are not in Done waits; a loop "
                     "of blocks or follows is refused.")
    p.add_argument("id", type=card_id, metavar="ID")
    p.add_argument("words", nargs="+", metavar="RELATION OTHER_ID")

    p = commands.add("unrelate", "untie two cards: 'unrelate 3 blocks 5', or every tie: "
                     "'unrelate 3 5'", cmd_unrelate, epilog=RELATIONS)
    p.add_argument("id", type=card_id, metavar="ID")
    p.add_argument("words", nargs="+", metavar="[RELATION] OTHER_ID")


def _other(args: argparse.Namespace) -> tuple[str | None, int]:
    """``blocked by 5`` → ("blocked by", 5); ``5`` → (None, 5)."""
    *words, last = args.words
    try:
        other = int(last.lstrip("#"))
    except ValueError:
        raise ValidationError(f"the last word must be the other card's id, not {last!r} "
                              f"(e.g. tkanban {args.command} {args.id} blocks 5)") from None
    if not 1 <= other <= 2**62:
        raise NotFoundError(f"no card #{other}")
    return (" ".join(words) or None), other

def cmd_relate(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.relations import relate
    from tkanban.core.model.records import PHRASES

    words, other = _other(args)
    if words is None:
        raise ValidationError(f"say how #{args.id} relates to #{other}: e.g. tkanban relate "
                              f"{args.id} blocks {other} (relations: {', '.join(PHRASES)})")
    said = words.replace("-", " ")
    if relate(ctx.store, args.id, words, other, author=ctx.user):
        out(f"#{args.id} {said} #{other}")
    else:
        out(f"#{args.id} already {said} #{other}")

def cmd_unrelate(ctx: Context, args: argparse.Namespace) -> None:
    from tkanban.core.board.relations import unrelate
    from tkanban.core.model.text import plural

    words, other = _other(args)
    removed = unrelate(ctx.store, args.id, words, other, author=ctx.user)
    out(f"#{args.id} and #{other}: {plural(removed, 'relation')} removed")

def relation_lines(detail: CardDetail) -> list[str]:
    """The card's relations and the chain of hypotheses it grew out of, for ``show``."""
    lines = []
    if detail.chain:
        chain = [f"#{c.id} ({c.outcome or c.lane})" for c in detail.chain]
        lines.append("  grew out of: " + " → ".join([*chain, f"#{detail.card.id}"]))
    for related in detail.related:
        state = "archived" if related.archived else related.outcome or related.lane
        lines.append(f"  {related.relation.replace('-', ' ') + ':':<14}#{related.id} "
                     f"{related.title} ({state})")
    if detail.card.waiting_on:
        lines.append("  waiting on: " + ", ".join(f"#{i}" for i in detail.card.waiting_on)
                     + " (not in Done)")
    return lines
