"""The card pane: everything about one card, its research log and its move history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from tkanban.core.hypothesis import suggests_validated
from tkanban.core.records import CardDetail
from tkanban.core.timebox import countdown, finished, format_duration, local_time, urgency
from tkanban.tui.actions import CARD, bindings
from tkanban.tui.lanes import OUTCOME_MARK
from tkanban.tui.messages import (
    AddLogEntry,
    EditCard,
    RecordOutcome,
    SetTimebox,
    SharedActions,
    ToggleBlock,
)
from tkanban.tui.render import literal
from tkanban.tui.status import BOX_STYLES, StatusBar


def _heading(text: str) -> Content:
    return Content.styled(text, "bold $accent")


def card_content(detail: CardDetail, now: float) -> Content:
    """The card's facts as one Content, every user value shown literally."""
    card = detail.card
    parts: list[Content] = [
        Content.styled(f"#{card.id} ", "bold $text-muted") + literal(card.title, "bold"),
        Content(""),
    ]

    def fact(label: str, value: Content | str) -> None:
        value = Content(value) if isinstance(value, str) else value
        parts.append(Content.styled(f"{label:<10}", "$text-muted") + value)

    fact("kind", card.kind)
    fact("lane", literal(card.lane))
    fact("author", literal(card.author))
    fact("assignee", literal(f"@{card.assignee}") if card.assignee else "nobody")
    if card.labels:
        fact("labels", ", ".join(card.labels))
    if card.blocked:
        fact("blocked", Content.styled("⊘ ", "$error bold") + literal(card.blocked))
    if card.timebox_seconds:
        left = card.remaining(now)
        if left is None:
            state = Content.styled("clock starts when it leaves To do", "$text-muted")
        elif card.clock_stop is not None:
            state = Content(finished(left))
        else:
            state = Content.styled(countdown(left),
                                   BOX_STYLES[urgency(left, card.timebox_seconds)])
        fact("time box", Content(format_duration(card.timebox_seconds) + ", ") + state)
    if card.outcome:
        fact("outcome", Content.styled(OUTCOME_MARK[card.outcome], "bold")
             + (literal(" — " + card.conclusion) if card.conclusion else Content("")))
    if card.kind == "hypothesis":
        parts += [Content(""), _heading("Exit criteria")]
        statuses = detail.criteria_status()
        if not statuses:
            parts.append(Content.styled("none yet: press e to add some", "$text-muted"))
        for status in statuses:
            mark = {True: ("✓ met", "$success"), False: ("✗ not met", "$error"),
                    None: ("· not measured", "$text-muted")}[status.met]
            latest = "" if status.value is None else f" (latest {status.value:g})"
            parts.append(literal(f"  {status.criterion}{latest}  ") + Content.styled(*mark))
        if suggests_validated(statuses) and not card.outcome:
            parts.append(Content.styled("  every criterion is met: record it as validated (o)",
                                        "$success bold"))
    if card.description:
        parts += [Content(""), _heading("Description"), literal(card.description)]
    parts += [Content(""), _heading(f"Research log ({len(detail.entries)})")]
    struck = detail.struck
    for entry in detail.entries:
        gone = entry.id in struck  # undone: shown struck through, never removed
        head = Content.styled(f"{local_time(entry.at)}  ", "$text-muted") + literal(
            entry.author, "bold") + Content.styled(
                f"  {entry.kind}" + ("  (struck through)" if gone else ""), "$text-muted")
        parts.append(head)
        if entry.text:
            parts.append(literal("  " + entry.text.replace("\n", "\n  "),
                                 "strike $text-muted" if gone else ""))
        if entry.metrics:
            metrics = "  ".join(f"{k} = {v:g}" for k, v in entry.metrics.items())
            parts.append(literal("  ▸ " + metrics, "strike $text-muted" if gone else "$accent"))
    parts += [Content(""), _heading("Moves")]
    if not detail.moves:
        parts.append(Content.styled("not moved yet", "$text-muted"))
    for move in detail.moves:
        parts.append(literal(f"{local_time(move.at)}  {move.author}: {move.text}"))
    return Content("\n").join(parts)


class CardScreen(Screen[None], SharedActions):
    """One card in full. ``escape`` goes back to the board."""

    DEFAULT_CSS = """
    CardScreen #body { padding: 1 2; height: 1fr; }
    CardScreen #hint { dock: top; height: 1; background: $panel; color: $text-muted;
                       padding: 0 1; }
    """
    BINDINGS = bindings(CARD)

    def __init__(self, detail: CardDetail, status: StatusBar, now: float) -> None:
        super().__init__()
        self.detail = detail
        self.status = status
        self.now = now

    @property
    def card_id(self) -> int:
        return self.detail.card.id

    def compose(self) -> ComposeResult:
        yield Static(Content("escape back · a log entry · e edit · t time box · o outcome · "
                             "? help"), id="hint")
        with VerticalScroll(id="body"):
            yield Static(card_content(self.detail, self.now), id="card")
        yield self.status

    def on_mount(self) -> None:
        self.query_one("#body").scroll_home(animate=False)  # title, lane, box first

    def show(self, detail: CardDetail, now: float) -> None:
        body = self.query_one("#body", VerticalScroll)
        at_end = body.scroll_y >= body.max_scroll_y - 1
        grew = len(detail.entries) != len(self.detail.entries)
        self.detail, self.now = detail, now
        self.query_one("#card", Static).update(card_content(detail, now))
        if at_end or grew:
            self.call_after_refresh(body.scroll_end, animate=False)

    def tick(self, now: float) -> None:
        self.now = now
        self.status.tick(now)

    def action_close(self) -> None:
        self.dismiss()

    def action_edit_card(self) -> None:
        self.post_message(EditCard(self.detail.card))

    def action_log_entry(self) -> None:
        self.post_message(AddLogEntry(self.detail.card))

    def action_timebox(self) -> None:
        self.post_message(SetTimebox(self.detail.card))

    def action_outcome(self) -> None:
        self.post_message(RecordOutcome(self.detail.card))

    def action_block(self) -> None:
        self.post_message(ToggleBlock(self.detail.card))

