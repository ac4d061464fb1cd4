"""The card form: a new card, or an edit of one (kind, title, exit criteria, time box, assignee,
labels, description), with the choice to re-apply or reload after a conflict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Select, TextArea

from tkanban.core.errors import ConflictError, ValidationError
from tkanban.core.model.criteria import format_criteria, parse_criteria
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, TITLE_MAX, clean, clean_labels
from tkanban.core.model.timebox import parse_duration
from tkanban.tui.forms.base import Form, Save, row

HYPOTHESIS_LANES = ("test-hypothesis", "review-hypothesis")
"""Lanes whose new cards are hypotheses unless the user says otherwise."""
PLACEHOLDERS = {"hypothesis": "We believe <change> will <reach metric ≥ target>",
                "task": "what needs doing"}


class CardForm(Form):
    """New card or edit card: kind, title, hypothesis criteria, time box, assignee, text."""

    def __init__(self, save: Save, *, lane_name: str, card: CardInfo | None = None,
                 reload: Callable[[], Awaitable[CardInfo]] | None = None,
                 lane_slug: str = "") -> None:
        """``reload`` reads the card as it is now (for "reload theirs" after a conflict); a
        new card in a hypothesis lane is a hypothesis unless the user says otherwise."""
        title = f"Edit #{card.id}" if card else f"New card in {lane_name}"
        super().__init__(title, save)
        self.card = card
        self.kind = card.kind if card else (
            "hypothesis" if lane_slug in HYPOTHESIS_LANES else "task")
        self.expected_version = card.version if card else None
        self.reload = reload

    def fields(self) -> ComposeResult:
        card = self.card
        yield row("Kind", Select([("hypothesis: We believe … will …", "hypothesis"),
                                  ("task", "task")], value=self.kind,
                                 allow_blank=False, id="kind", compact=True))
        yield row("Title", Input(card.title if card else "", id="title", max_length=TITLE_MAX,
                                 compact=True, placeholder=PLACEHOLDERS[self.kind]))
        yield self.error_label("title")
        with Vertical(id="criteria-box"):
            yield row("Exit criteria", Input(card.criteria if card else "", id="criteria",
                                             max_length=LINE_MAX, compact=True,
                                             placeholder="precision >= 0.95 and recall > 0.7"))
            yield self.error_label("criteria")
        if card is None:
            yield row("Time box", Input("", id="timebox", compact=True,
                                        placeholder="30m, 4h, 2d, 1w, 1d12h (optional)"))
            yield self.error_label("timebox")
        yield row("Assignee", Input(card.assignee or "" if card else "", id="assignee",
                                    compact=True, placeholder="user name (optional)"))
        yield self.error_label("assignee")
        yield row("Labels", Input(" ".join(card.labels) if card else "", id="labels",
                                  compact=True, placeholder="data gpu client-x (optional)"))
        yield self.error_label("labels")
        yield row("Description", TextArea(card.description if card else "", id="description"))
        yield self.error_label("description")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self._show_criteria()

    @on(Select.Changed, "#kind")
    def _show_criteria(self) -> None:
        kind = str(self.query_one("#kind", Select).value)
        self.query_one("#criteria-box").display = kind == "hypothesis"
        self.query_one("#title", Input).placeholder = PLACEHOLDERS.get(kind, "")

    @on(Input.Changed, "#title")
    def _title_typed(self, event: Input.Changed) -> None:
        if event.value.strip():  # "title must not be empty" is said no longer than it holds
            self.error("title", "")

    @on(Input.Changed, "#criteria")
    def _check_criteria(self, event: Input.Changed) -> None:
        try:
            parse_criteria(event.value)
            self.error("criteria", "")
        except ValidationError as exc:
            self.error("criteria", str(exc))

    @on(Input.Changed, "#timebox")
    def _check_timebox(self, event: Input.Changed) -> None:
        try:
            if event.value.strip():
                parse_duration(event.value)
            self.error("timebox", "")
        except ValidationError as exc:
            self.error("timebox", str(exc))

    def values(self) -> dict[str, Any]:
        kind = str(self.query_one("#kind", Select).value)
        values: dict[str, Any] = {
            "kind": kind,
            "title": clean(self.query_one("#title", Input).value, "title", max_len=TITLE_MAX,
                           required=True),
            "criteria": self.query_one("#criteria", Input).value if kind == "hypothesis" else "",
            "assignee": self.query_one("#assignee", Input).value,
            "labels": " ".join(clean_labels(self.query_one("#labels", Input).value)),
            "description": self.query_one("#description", TextArea).text,
        }
        values["criteria"] = format_criteria(parse_criteria(values["criteria"]))
        if self.card is None:
            box = self.query_one("#timebox", Input).value
            values["timebox_seconds"] = parse_duration(box) if box.strip() else None
            return values
        # Only what this user changed goes on top of the card, so a re-apply after a conflict
        # keeps the other person's changes to the other fields.
        card = self.card
        before = {"kind": card.kind, "title": card.title, "criteria": card.criteria,
                  "assignee": card.assignee or "", "labels": " ".join(card.labels),
                  "description": card.description}
        changed = {k: v for k, v in values.items() if v.strip() != before[k].strip()}
        changed["expected_version"] = self.expected_version
        return changed

    def on_conflict(self, exc: ConflictError) -> None:
        self.error(None, f"{exc}. Your edit is kept: apply it on top of theirs, or reload "
                         "their version.")
        self.conflict = exc
        self.query_one("#conflict").add_class("-shown")
        self.query_one("#reapply", Button).focus()  # enter applies it; escape cancels

    async def action_save(self) -> None:
        if self.query_one("#conflict").has_class("-shown"):
            await self._reapply()  # saving again means: mine on top of theirs
            return
        await super().action_save()

    @on(Button.Pressed, "#reapply")
    async def _reapply(self) -> None:
        self.expected_version = self.conflict.current_version
        self.query_one("#conflict").remove_class("-shown")
        await self.action_save()

    @on(Button.Pressed, "#reload")
    async def _reload(self) -> None:
        """Their version replaces this edit."""
        self.query_one("#conflict").remove_class("-shown")
        if self.reload is not None:
            self.fill(await self.reload())
            self.notify("their version is loaded; your edit was discarded", timeout=4)

    def fill(self, card: CardInfo) -> None:
        """Put a fresh version of the card into the form."""
        self.card = card
        self.expected_version = card.version
        self.query_one("#kind", Select).value = card.kind
        self.query_one("#title", Input).value = card.title
        self.query_one("#criteria", Input).value = card.criteria
        self.query_one("#assignee", Input).value = card.assignee or ""
        self.query_one("#labels", Input).value = " ".join(card.labels)
        self.query_one("#description", TextArea).text = card.description
        self.clear_errors()
