"""The board as a readable Markdown report (``tkanban export --format markdown``): lanes,
cards, criteria and research logs, with every user text escaped so that none of it becomes a
heading, a list, a link or HTML."""

from __future__ import annotations

from tkanban.core.board.reads import get_card, list_cards
from tkanban.core.model.text import markdown
from tkanban.core.model.timebox import format_duration, local_time
from tkanban.core.storage.base import Store


def export_markdown(store: Store, board: str, now: float) -> str:
    """A readable report of one board: lanes, cards, criteria, outcomes and research logs.
    User text is escaped: it cannot add headings, lists, links or HTML to the report."""
    lines = [f"# Board {markdown(board)}", ""]
    cards = list_cards(store, board)
    current = None
    for card in cards:
        if card.lane != current:
            current = card.lane
            lines += [f"## {markdown(card.lane)}", ""]
        detail = get_card(store, card.id)
        lines.append(f"### #{card.id} {markdown(card.title)}")
        lines.append("")
        facts = [f"- kind: {card.kind}", f"- author: {markdown(card.author)}"]
        if card.assignee:
            facts.append(f"- assignee: @{markdown(card.assignee)}")
        if card.criteria:
            facts.append(f"- exit criteria: {markdown(card.criteria)}")
        if card.timebox_seconds:
            box = f"- time box: {format_duration(card.timebox_seconds)}"
            left = card.remaining(now)
            if left is not None:
                box += " (over)" if card.overdue(now) else ""
            facts.append(box)
        if card.labels:
            facts.append(f"- labels: {markdown(', '.join(card.labels))}")
        if card.blocked:
            facts.append(f"- blocked: {markdown(card.blocked)}")
        for related in detail.related:
            facts.append(f"- {related.relation.replace('-', ' ')}: #{related.id} "
                         f"{markdown(related.title)}")
        if card.outcome:
            facts.append(f"- outcome: **{card.outcome}**"
                         + (f": {markdown(card.conclusion)}" if card.conclusion else ""))
        lines += facts
        if card.description:
            lines += ["", markdown(card.description).replace("\n", "\n\n")]
        lines += ["", "Research log:", ""]
        for entry in detail.entries:
            metrics = ", ".join(f"{k}={v:g}" for k, v in entry.metrics.items())
            text = entry.text + (f" [{metrics}]" if metrics else "")
            lines.append(f"- {local_time(entry.at)} {markdown(entry.author)} ({entry.kind}): "
                         f"{markdown(text, indent='  ')}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
