"""The board for coding agents: an MCP server over stdio (``tkanban mcp``, the ``mcp`` extra,
the official Python SDK), on one board, as one user.

Each tool is a thin call into the core, with the same rules as a person at the board or on the
command line (outcomes, WIP warnings, versions, text rules) and the same JSON as ``list
--json`` and ``show --json``; a refused action is a tool error carrying the one line the
command line prints. Writes are the user's, like any other: log entries and events, seen live
on open boards.
``read_only`` offers the reads alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from tkanban import __version__
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError
from tkanban.core.model.filters import parse_filter
from tkanban.core.model.records import DONE, TODO, CardInfo
from tkanban.core.model.text import visible
from tkanban.core.model.timebox import parse_duration, short_left
from tkanban.core.storage.base import Store

T = TypeVar("T")
PROG = "tkanban"


def refused(exc: TkanbanError) -> ToolError:
    """The one line the command line prints for the same mistake."""
    return ToolError(f"{PROG}: error: {visible(str(exc), multiline=False)}")


def board_server(store: Store, board: str, user: str, *, now: Callable[[], float],
                 read_only: bool = False) -> MCPServer:
    """The MCP server of ``board`` in ``store``, acting as ``user``."""
    server = MCPServer(
        "tkanban", version=__version__, log_level="WARNING",
        instructions=f"The Kanban board {board!r} of an ML team, as {user}. Hypothesis cards "
        "carry exit criteria ('accuracy >= 0.9'); log results with metrics on the card you "
        "work on, and close it with an outcome (validated, invalidated, inconclusive): "
        "both count as learning.")

    def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except TkanbanError as exc:
            raise refused(exc) from None

    def on_board(card_id: int) -> None:
        call(q.check_on_board, store, card_id, board)

    @server.tool()
    def list_cards(filter: str = "", lane: str | None = None,
                   archived: bool = False) -> list[dict[str, Any]]:
        """The board's cards, as `tkanban list --json` gives them. `filter` is the board's
        filter: words, @user, kind:hypothesis, label:NAME, blocked, waiting, overdue."""
        cards = call(q.list_cards, store, board, lane=lane, include_archived=archived)
        moment = now()
        if filter:
            wanted = call(parse_filter, filter)
            from dataclasses import replace
            wanted = replace(wanted, mentioned=frozenset(
                call(q.cards_mentioning, store, board, wanted.users)))
            cards = [card for card in cards if wanted.matcher(moment)(card)]
        return [card.to_json(moment) for card in cards]

    @server.tool()
    def show_card(id: int) -> dict[str, Any]:
        """One card in full, as `tkanban show ID --json` gives it: its exit criteria judged on
        the evidence, its runs, research log and ties."""
        on_board(id)
        return call(q.get_card, store, id).to_json(now())

    @server.tool()
    def mentions() -> list[dict[str, Any]]:
        """The research-log entries that mention this user (what waits on them)."""
        return [{"card_id": m.card_id, "card_title": m.card_title, **m.entry.to_json()}
                for m in call(q.mentions_of, store, user, board)]

    @server.tool()
    def retro(month: str | None = None) -> dict[str, Any]:
        """A month's retro figures (YYYY-MM; this month by default), as `tkanban retro
        --format json` gives them."""
        from tkanban.core.retro.figures import compute, current_month, parse_month

        moment = now()
        year, number = call(parse_month, month) if month else current_month(moment)
        cards, lanes = call(q.history, store, board)
        return compute(cards, lanes, call(q.phase_refs, store, board), year, number,
                       moment).to_json()

    @server.resource("tkanban://board", mime_type="text/plain")
    def board_text() -> str:
        """The board, a line a card, lane by lane."""
        moment = now()
        return "\n".join(f"#{c.id} [{c.lane}] {c.kind}: {visible(c.title)}"
                         + (f" ({c.outcome})" if c.outcome else "")
                         + (f" — {short_left(left)}" if (left := c.remaining(moment))
                            is not None and c.clock_stop is None else "")
                         for c in call(q.list_cards, store, board)) or "no cards"

    @server.resource("tkanban://card/{id}", mime_type="application/json")
    def card_json(id: str) -> str:
        """One card in full (as `show_card`)."""
        if not id.isdigit():
            raise ToolError(f"{PROG}: error: not a card number: {visible(id)!r}")
        return json.dumps(show_card(int(id)), ensure_ascii=False)

    if read_only:
        return server

    @server.tool()
    def add_card(title: str, kind: str = "task", criteria: str = "", timebox: str = "",
                 lane: str = TODO, description: str = "", assignee: str | None = None,
                 labels: list[str] | None = None) -> dict[str, Any]:
        """A new card. A hypothesis has exit criteria ('precision >= 0.95 and recall > 0.7')
        and usually a time box ('3d', '1w')."""
        seconds = call(parse_duration, timebox) if timebox else None
        card = call(ops.add_card, store, board, title, author=user, kind=kind, lane=lane,
                    description=description, criteria=criteria, timebox_seconds=seconds,
                    assignee=assignee, labels=labels or ())
        return card.to_json(now())

    @server.tool()
    def log_entry(id: int, text: str = "", metrics: dict[str, float] | None = None
                  ) -> dict[str, Any]:
        """Append to a card's research log: text (@name mentions a teammate) and metric
        values ({"accuracy": 0.93}) the exit criteria are judged on."""
        on_board(id)
        return call(ops.add_log, store, id, text, author=user, metrics=metrics or {}).to_json()

    @server.tool()
    def move_card(id: int, lane: str, outcome: str | None = None, note: str = "",
                  reason: str | None = None) -> dict[str, Any]:
        """Move a card to a lane (number, slug or name). A hypothesis enters Done only with an
        outcome; an outcome against its evidence needs a reason. The answer's `warnings`
        say what rule was bent (a WIP limit, cards it waits on)."""
        on_board(id)
        card = call(ops.move_card, store, id, lane, author=user, outcome=outcome,
                    conclusion=note, reason=reason)
        return _with_warnings(store, card, now())

    @server.tool()
    def close_card(id: int, outcome: str | None = None, note: str = "",
                   reason: str | None = None) -> dict[str, Any]:
        """Close a card into Done in one move, from any lane. A hypothesis needs an outcome
        (validated, invalidated or inconclusive: both of the first count as learning); an
        outcome against its evidence needs a reason."""
        on_board(id)
        card = call(ops.move_card, store, id, DONE, author=user, outcome=outcome,
                    conclusion=note, reason=reason)
        return _with_warnings(store, card, now())

    @server.tool()
    def link_run(id: int, run: str) -> dict[str, Any]:
        """Link an experiment run to a card: mlflow:RUN_ID, a run's URL, or dvclive:PATH.
        Its metrics reach the card's log at the next sync."""
        from tkanban.core.runs.sync import link_run as link

        on_board(id)
        return call(link, store, id, run, author=user).to_json()

    return server


def _with_warnings(store: Store, card: CardInfo, now: float) -> dict[str, Any]:
    """The card, with the soft rules its move bent (as the command line warns of them)."""
    data = card.to_json(now)
    data["warnings"] = [w for w in (card.waiting_warning(card.lane_slug),
                                    q.wip_warning(store, card)) if w]
    return data
