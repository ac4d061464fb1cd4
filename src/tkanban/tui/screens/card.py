"""The card pane: everything about one card, its research log and its move history."""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tkanban.core.model.evidence import AGAINST, MODE_WORDS, against, all_met, sparkline
from tkanban.core.model.records import CardDetail, Related
from tkanban.core.model.timebox import countdown, finished, format_duration, local_time, urgency
from tkanban.core.runs.compare import compare_params
from tkanban.tui.actions import CARD, bindings
from tkanban.tui.messages import (
    AddLogEntry,
    CloseCard,
    EditCard,
    LinkRun,
    OpenCardId,
    RecordOutcome,
    RelateCard,
    SetTimebox,
    SharedActions,
    ToggleBlock,
    Unrelate,
)
from tkanban.tui.render import literal
from tkanban.tui.widgets.lanes import OUTCOME_MARK
from tkanban.tui.widgets.status import BOX_STYLES, StatusBar


def _heading(text: str) -> Content:
    return Content.styled(text, "bold $accent")


def _state(related: Related) -> Content:
    """A related card's state: its outcome once it has one, else its lane."""
    if related.archived:
        return Content.styled("archived", "$text-muted")
    if related.outcome:
        return Content.styled(OUTCOME_MARK[related.outcome], "bold")
    return Content.styled(related.lane, "$text-muted")


def related_line(related: Related) -> Content:
    """One relation in the pane's list: ``blocked by  #3 To do  Collect labels``."""
    return (Content.styled(f"{related.relation.replace('-', ' '):<14}", "$text-muted")
            + Content.styled(f"#{related.id} ", "bold") + _state(related) + Content("  ")
            + literal(related.title, multiline=False))


def chain_content(detail: CardDetail) -> Content:
    """The hypotheses this card grew out of (``follows``), the first one first, with their
    outcomes, down to this card."""
    parts = [_heading("Grew out of")]
    for depth, link in enumerate(detail.chain):
        parts.append(Content("  " * depth + ("↳ " if depth else "  "))
                     + Content.styled(f"#{link.id} ", "bold")
                     + literal(link.title, multiline=False) + Content("  ") + _state(link))
    parts.append(Content("  " * len(detail.chain) + "↳ ")
                 + Content.styled(f"#{detail.card.id} this card", "$text-muted"))
    return Content("\n").join(parts)


def card_content(detail: CardDetail, now: float) -> Content:
    """The card's facts, every user value shown literally; its relations follow in a list of
    their own (``RelationList``), then ``log_content``."""
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
    if card.waiting_on:
        fact("waiting", Content.styled("⧖ ", "$warning bold") + Content(
            "on " + ", ".join(f"#{i}" for i in card.waiting_on) + ", not in Done yet"))
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
    verdicts = detail.verdicts() if card.kind == "hypothesis" else []
    if card.outcome:
        fact("outcome", Content.styled(OUTCOME_MARK[card.outcome], "bold")
             + (literal(" — " + card.conclusion) if card.conclusion else Content("")))
        if against(card.outcome, verdicts):
            fact("", Content.styled(AGAINST, "$warning bold"))
    if card.kind == "hypothesis":
        parts += [Content(""), _heading(f"Exit criteria (judged on the {MODE_WORDS[detail.mode]})")]
        if not verdicts:
            parts.append(Content.styled("none yet: press e to add some", "$text-muted"))
        trends = {name: points for run in detail.runs
                  for name, points in run.detail.history.items()}
        for verdict in verdicts:
            mark = {True: ("✓ met", "$success"), False: ("✗ not met", "$error"),
                    None: ("· not measured", "$text-muted")}[verdict.met]
            where = "" if verdict.point is None else (
                f" ({verdict.point.value:g}, {verdict.point.where()})")
            trend = sparkline(trends.get(verdict.criterion.metric, []))
            parts.append(literal(f"  {verdict.criterion}{where}  ") + Content.styled(*mark)
                         + (Content.styled(f"  {trend}", "$accent") if trend else Content("")))
        if all_met(verdicts) and not card.outcome:
            parts.append(Content.styled("  every criterion is met: record it as validated (o)",
                                        "$success bold"))
    if detail.chain:
        parts += [Content(""), chain_content(detail)]
    if detail.runs:
        parts += [Content(""), runs_content(detail)]
    return Content("\n").join(parts)


RUN_STATUS = {"running": "$warning", "finished": "$success", "failed": "$error",
              "killed": "$error", "file": "$text-muted"}


def _shown_where(url: str) -> str:
    """A run's link; a file under the working folder by its relative path."""
    if url.startswith("/"):
        with contextlib.suppress(ValueError):
            return str(Path(url).relative_to(Path.cwd()))
    return url


def runs_content(detail: CardDetail) -> Content:
    """Each linked run: its status, its metrics against the criteria, its time, commit and
    link; then the params that differ between the runs, side by side."""
    targets = {c.metric: c for c in detail.criteria}
    parts = [_heading(f"Runs ({len(detail.runs)})")]
    for run in detail.runs:
        status = run.status.lower() or "not synced yet"
        facts = [run.ref.split(":", 1)[0]]
        if run.detail.seconds is not None:
            facts.append(format_duration(run.detail.seconds) if run.detail.seconds >= 60
                         else f"{run.detail.seconds:.0f}s")
        if run.detail.commit:
            facts.append(f"commit {run.detail.commit[:10]}")
        parts.append(Content("  ") + literal(run.name or run.ref, "bold") + Content("  ")
                     + Content.styled(status, RUN_STATUS.get(status, "$text-muted"))
                     + (Content.styled("  📌 pinned", "$accent bold") if run.pinned
                        else Content(""))
                     + literal("  " + "  ".join(facts), "$text-muted"))
        numbers = []
        for name, value in run.metrics.items():
            criterion = targets.get(name)
            mark = "" if criterion is None else (" ✓" if criterion.met_by(value) else " ✗")
            numbers.append(literal(f"{name} {value:g}{mark}",
                                   "" if criterion is None else
                                   "$success" if criterion.met_by(value) else "$error"))
        if numbers:
            parts.append(Content("    ") + Content("  ").join(numbers))
        if run.url:
            parts.append(Content("    ") + literal(_shown_where(run.url),
                                                    "$text-muted underline"))
    table = compare_params(detail.runs)
    if table:
        parts += [Content(""), _heading("Params that differ")]
        parts += [literal("  " + line) for line in table]
    return Content("\n").join(parts)


def log_content(detail: CardDetail) -> Content:
    """The card's description, research log and moves."""
    card = detail.card
    parts: list[Content] = []
    if card.description:
        parts += [_heading("Description"), literal(card.description), Content("")]
    parts += [_heading(f"Research log ({len(detail.entries)})")]
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
    """One card in full. ``escape`` goes back to the board (or to the card this one was
    opened from); ``enter`` opens the highlighted related card."""

    DEFAULT_CSS = """
    CardScreen #body { padding: 1 2; height: 1fr; }
    CardScreen #hint { dock: top; height: 1; background: $panel; color: $text-muted;
                       padding: 0 1; }
    CardScreen #relations-head { margin: 1 0 0 0; }
    CardScreen #related { height: auto; max-height: 8; border: none; padding: 0;
                          background: $surface; }
    CardScreen #related:focus { background: $boost; }
    CardScreen #log { margin: 1 0 0 0; }
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
        yield Static(Content("escape back · a log · e edit · t box · o outcome · b block · "
                             "c relate · g run · ? help"), id="hint")
        with VerticalScroll(id="body"):
            yield Static(card_content(self.detail, self.now), id="card")
            yield Static(id="relations-head")
            yield OptionList(id="related")
            yield Static(log_content(self.detail), id="log")
        yield self.status

    def on_mount(self) -> None:
        self._show_related()
        self.query_one("#body").scroll_home(animate=False)  # title, lane, box first

    def _show_related(self) -> None:
        related = self.detail.related
        head = _heading(f"Relations ({len(related)})") + Content.styled(
            "  tab, then ↑ ↓ picks · enter opens · d removes · c adds" if related else
            "  none yet: c ties this card to another", "$text-muted")
        self.query_one("#relations-head", Static).update(head)
        options = self.query_one("#related", OptionList)
        was = options.highlighted
        options.set_options(Option(related_line(r), id=str(i)) for i, r in enumerate(related))
        options.display = bool(related)
        if related:
            options.highlighted = min(was or 0, len(related) - 1)

    @property
    def chosen(self) -> Related | None:
        """The highlighted related card (the first until another is picked)."""
        related = self.detail.related
        if not related:
            return None
        index = self.query_one("#related", OptionList).highlighted
        return related[min(index or 0, len(related) - 1)]

    def show(self, detail: CardDetail, now: float) -> None:
        body = self.query_one("#body", VerticalScroll)
        at_end = body.scroll_y >= body.max_scroll_y - 1
        grew = len(detail.entries) != len(self.detail.entries)
        self.detail, self.now = detail, now
        self.query_one("#card", Static).update(card_content(detail, now))
        self._show_related()
        self.query_one("#log", Static).update(log_content(detail))
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

    def action_close_card(self) -> None:
        self.post_message(CloseCard(self.detail.card))

    def action_block(self) -> None:
        self.post_message(ToggleBlock(self.detail.card))

    def action_relate(self) -> None:
        self.post_message(RelateCard(self.detail.card))

    def action_link_run(self) -> None:
        self.post_message(LinkRun(self.detail.card))

    def action_open_related(self) -> None:
        chosen = self.chosen
        if chosen is None:
            self.notify("this card relates to no other: c ties it to one", timeout=3)
            return
        self.post_message(OpenCardId(chosen.id))

    def action_unrelate(self) -> None:
        chosen = self.chosen
        if chosen is None:
            self.notify("this card relates to no other", timeout=3)
            return
        self.post_message(Unrelate(self.detail.card, chosen))

    @on(OptionList.OptionSelected, "#related")
    def _open_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(OpenCardId(self.detail.related[int(event.option.id)].id))
