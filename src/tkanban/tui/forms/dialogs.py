"""Forms and confirmations. ``tab``/``shift+tab`` move between fields, ``ctrl+s`` saves (so does
``enter`` in a one-line field), ``escape`` cancels and changes nothing.

A form does not touch the database itself: it is given an async ``save`` callable, which raises
``ValidationError`` (shown next to the field it names) or ``ConflictError`` (shown with a choice
to reload or to re-apply on top); the form closes only when the save went through.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from tkanban.core.errors import ConflictError, TkanbanError, ValidationError
from tkanban.core.model.criteria import (
    OUTCOMES,
    Criterion,
    format_criteria,
    parse_criteria,
    parse_metrics,
)
from tkanban.core.model.records import CardInfo, LaneInfo
from tkanban.core.model.text import LINE_MAX, TITLE_MAX, clean, clean_labels, visible
from tkanban.core.model.timebox import format_duration, parse_duration
from tkanban.tui.messages import ReloadCardForm
from tkanban.tui.render import literal

Save = Callable[[dict[str, Any]], Awaitable[None]]

FORM_CSS = """
Form {
    align: center middle;
    & > #dialog {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        background: $surface;
        border: round $accent;
        padding: 0 1;
    }
    & #title-bar { text-style: bold; margin: 0 0 1 0; }
    & .row { height: auto; margin: 0 0 0 0; }
    & .row > TextArea, & .row > RadioSet { margin: 1 0 0 0; }
    & .row > Label { width: 14; color: $text-muted; }
    & .row > Input, & .row > Select { width: 1fr; }
    & .row > RadioSet { width: 1fr; }
    & .error { color: $error; height: auto; margin: 0 0 0 14; }
    & #error-form { margin: 1 0 0 0; }
    & .error:disabled { display: none; }
    & .hint { color: $text-muted; height: auto; margin: 0 0 1 0; }
    & TextArea { height: 5; width: 1fr; }
    & Input.-invalid { background: $error 25%; }
    & #criteria-box { height: auto; }
    & #buttons { height: auto; margin: 1 0 0 0; }
    & #buttons Button { margin: 0 1 0 0; }
    & #conflict { height: auto; display: none; }
    & #conflict.-shown { display: block; }
}
"""


_FIELD_ID = re.compile(r"^[A-Za-z_][\w-]*$")
"""What a field's widget id looks like."""


def row(label: str, widget: Widget) -> Horizontal:
    """A labelled field on one line."""
    return Horizontal(Label(label), widget, classes="row")


class Form(ModalScreen[bool]):
    """Base of every form: a titled box, field errors, save and cancel."""

    DEFAULT_CSS = FORM_CSS
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+e", "editor", "Editor", priority=True),
    ]

    def __init__(self, title: str, save: Save) -> None:
        super().__init__()
        self.form_title = title
        self.save_fn = save
        self.saving = False

    def fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        for widget in self.query("Input, TextArea, RadioSet"):
            if widget.focusable:
                widget.focus()
                break

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(literal(self.form_title, multiline=False), id="title-bar")
            yield from self.fields()
            yield Static("", classes="error", id="error-form", disabled=True)
            with Horizontal(id="conflict"):
                yield Button("Apply mine on top", id="reapply", variant="warning", compact=True)
                yield Button("Reload theirs", id="reload", compact=True)
            with Horizontal(id="buttons"):
                yield Button("Save ctrl+s", id="save", variant="primary", compact=True)
                yield Button("Cancel esc", id="cancel", compact=True)

    def error(self, field: str | None, message: str) -> None:
        """Show ``message`` next to ``field`` (or at the bottom, for a field this form does
        not have: the core names fields in words, such as ``log entry``)."""
        shown = self._field(field)
        target = (self.query(f"#error-{shown}").first(Static) if shown
                  else self.query_one("#error-form", Static))
        target.update(literal(message))
        target.disabled = not message
        if shown and self.query(f"#{shown}"):
            self.query(f"#{shown}").first().set_class(bool(message), "-invalid")

    def _field(self, field: str | None) -> str | None:
        """``field`` if this form has an error line for it."""
        if not field or not _FIELD_ID.match(field):
            return None
        return field if self.query(f"#error-{field}") else None

    def clear_errors(self) -> None:
        for error in self.query(".error").results(Static):
            error.update("")
            error.disabled = True
        for widget in self.query(".-invalid"):
            widget.remove_class("-invalid")

    def error_label(self, field: str) -> Static:
        return Static("", classes="error", id=f"error-{field}", disabled=True)

    def values(self) -> dict[str, Any]:
        """Read and check the fields; raise ValidationError naming a field."""
        return {}

    async def action_save(self) -> None:
        if self.saving:
            return
        self.clear_errors()
        try:
            values = self.values()
        except ValidationError as exc:
            self.error(exc.field, str(exc))
            return
        self.saving = True
        try:
            await self.save_fn(values)
        except ConflictError as exc:
            self.on_conflict(exc)
            return
        except ValidationError as exc:
            self.error(exc.field, str(exc))
            return
        except TkanbanError as exc:
            self.error(None, f"{exc} — your input is kept; try again")
            return
        finally:
            self.saving = False
        self.dismiss(True)

    def on_conflict(self, exc: ConflictError) -> None:
        self.error(None, str(exc))

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_editor(self) -> None:
        """The focused multi-line field (else the form's first) in the user's editor, with
        the app suspended meanwhile; a failed, stopped or emptied edit changes nothing, and
        what the editor wrote stays in the field even if saving then refuses it."""
        from tkanban.user.editor import EditorError, edit_text

        focused = self.focused
        area = focused if isinstance(focused, TextArea) else next(iter(self.query(TextArea)),
                                                                  None)
        if area is None:
            self.notify("ctrl+e edits a multi-line field; this form has none", timeout=3)
            return
        try:
            try:
                with self.app.suspend():
                    edited = edit_text(area.text)
            except SuspendNotSupported:  # no terminal to hand over (a test)
                edited = edit_text(area.text)
        except EditorError as exc:
            self.notify(visible(str(exc), multiline=False), markup=False, severity="warning",
                        timeout=6)
            return
        if edited is None or not edited.strip():
            self.notify("the editor failed, was stopped, or left the text empty; the field "
                        "is unchanged", severity="warning", timeout=5)
            area.focus()
            return
        area.text = edited.rstrip("\n")
        area.focus()

    @on(Button.Pressed, "#save")
    async def _save_pressed(self) -> None:
        await self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    async def _submitted(self) -> None:
        await self.action_save()


class CardForm(Form):
    """New card or edit card: kind, title, hypothesis criteria, time box, assignee, text."""

    def __init__(self, save: Save, *, lane_name: str, card: CardInfo | None = None) -> None:
        title = f"Edit #{card.id}" if card else f"New card in {lane_name}"
        super().__init__(title, save)
        self.card = card
        self.expected_version = card.version if card else None

    def fields(self) -> ComposeResult:
        card = self.card
        yield row("Kind", Select([("hypothesis: We believe … will …", "hypothesis"),
                                  ("task", "task")], value=card.kind if card else "task",
                                 allow_blank=False, id="kind", compact=True))
        yield row("Title", Input(card.title if card else "", id="title", max_length=TITLE_MAX,
                                 compact=True,
                                 placeholder="We believe <change> will <reach metric ≥ target>"))
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
        is_hypothesis = self.query_one("#kind", Select).value == "hypothesis"
        self.query_one("#criteria-box").display = is_hypothesis

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
    def _reload(self) -> None:
        self.query_one("#conflict").remove_class("-shown")
        self.post_message(ReloadCardForm(self))


def fill_card_form(form: CardForm, card: CardInfo) -> None:
    """Put a fresh version of the card into an open edit form."""
    form.card = card
    form.expected_version = card.version
    form.query_one("#kind", Select).value = card.kind
    form.query_one("#title", Input).value = card.title
    form.query_one("#criteria", Input).value = card.criteria
    form.query_one("#assignee", Input).value = card.assignee or ""
    form.query_one("#labels", Input).value = " ".join(card.labels)
    form.query_one("#description", TextArea).text = card.description
    form.clear_errors()


class LogForm(Form):
    """A research-log entry: text with @mentions, and metric values."""

    def __init__(self, save: Save, *, card: CardInfo, criteria: list[Criterion]) -> None:
        super().__init__(f"Log on #{card.id} {card.title}", save)
        self.metric_names = list(dict.fromkeys(c.metric for c in criteria))

    def fields(self) -> ComposeResult:
        yield Static("@name mentions a teammate", classes="hint")
        yield row("Entry", TextArea("", id="text"))
        yield self.error_label("text")
        for i, name in enumerate(self.metric_names):
            yield row(name, Input("", id=f"metric-{i}", compact=True,
                                  placeholder="value for this exit criterion, e.g. 0.83"))
            yield self.error_label(f"metric-{i}")
        yield row("Metrics", Input("", id="metrics", compact=True,
                                   placeholder="name=value …, e.g. auc=0.83 f1=0.71"))
        yield self.error_label("metrics")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def values(self) -> dict[str, Any]:
        metrics: dict[str, float] = {}
        for i, name in enumerate(self.metric_names):
            raw = self.query_one(f"#metric-{i}", Input).value.strip()
            if raw:
                try:
                    metrics.update(parse_metrics(f"{name}={raw}"))
                except ValidationError as exc:
                    raise ValidationError(str(exc), f"metric-{i}") from None
        try:
            metrics.update(parse_metrics(self.query_one("#metrics", Input).value))
        except ValidationError as exc:
            raise ValidationError(str(exc), "metrics") from None
        text = self.query_one("#text", TextArea).text
        if not text.strip() and not metrics:
            raise ValidationError("write an entry or give a metric", "text")
        return {"text": text, "metrics": metrics}


class OutcomeForm(Form):
    """validated / invalidated / inconclusive, with a one-line conclusion."""

    def __init__(self, save: Save, *, card: CardInfo, suggested: str | None = None,
                 reason: str = "") -> None:
        super().__init__(f"Outcome of #{card.id} {card.title}", save)
        self.current = card.outcome or suggested
        self.reason = reason
        self.conclusion = card.conclusion

    def fields(self) -> ComposeResult:
        if self.reason:
            yield Static(literal(self.reason), classes="hint")
        yield row("Outcome", RadioSet(*(RadioButton(o, value=o == self.current)
                                        for o in OUTCOMES), id="outcome"))
        yield self.error_label("outcome")
        yield row("Conclusion", Input(self.conclusion, id="conclusion", max_length=LINE_MAX,
                                      compact=True, placeholder="what the team learned"))
        yield self.error_label("conclusion")

    def on_mount(self) -> None:
        self.query_one("#outcome", RadioSet).focus()

    def values(self) -> dict[str, Any]:
        pressed = self.query_one("#outcome", RadioSet).pressed_index
        if pressed < 0:
            raise ValidationError("choose validated, invalidated or inconclusive", "outcome")
        return {"outcome": OUTCOMES[pressed],
                "conclusion": clean(self.query_one("#conclusion", Input).value, "conclusion",
                                    max_len=LINE_MAX)}


class TimeboxForm(Form):
    """Set or extend a card's time box; a change to a running box needs a reason."""

    def __init__(self, save: Save, *, card: CardInfo, hint: str = "") -> None:
        super().__init__(f"Time box of #{card.id} {card.title}", save)
        self.card = card
        self.hint = hint
        self.running = bool(card.timebox_seconds and card.clock_start is not None)

    def fields(self) -> ComposeResult:
        if self.hint:
            yield Static(literal(self.hint), classes="hint")
        current = format_duration(self.card.timebox_seconds).replace(" ", "")
        yield row("Time box", Input("" if current == "-" else current, id="timebox",
                                    compact=True, placeholder="30m, 4h, 2d, 1w, 1d12h"))
        yield self.error_label("timebox")
        yield row("Reason", Input("", id="reason", max_length=LINE_MAX, compact=True,
                                  placeholder="required: the box is running" if self.running
                                  else "optional"))
        yield self.error_label("reason")

    def on_mount(self) -> None:
        self.query_one("#timebox", Input).focus()

    def values(self) -> dict[str, Any]:
        seconds = parse_duration(self.query_one("#timebox", Input).value)
        reason = clean(self.query_one("#reason", Input).value, "reason", max_len=LINE_MAX)
        if self.running and not reason:
            raise ValidationError("the box is running: say why it changes", "reason")
        return {"seconds": seconds, "reason": reason}


class PhaseForm(Form):
    """Start a phase (name, time box, goal) or end the running one (decision, note)."""

    def __init__(self, save: Save, *, ending: str | None = None) -> None:
        super().__init__(f"End phase {ending}" if ending else "Start a phase", save)
        self.ending = ending

    def fields(self) -> ComposeResult:
        if self.ending:
            yield row("Decision", RadioSet(RadioButton("go", value=True), RadioButton("stop"),
                                           id="decision"))
            yield row("Note", Input("", id="note", max_length=LINE_MAX, compact=True))
            yield self.error_label("note")
            return
        yield row("Name", Input("", id="name", placeholder="PoC", compact=True))
        yield self.error_label("name")
        yield row("Time box", Input("", id="timebox", placeholder="1w", compact=True))
        yield self.error_label("timebox")
        yield row("Goal", Input("", id="goal", placeholder="continue if AUC > 0.80",
                                compact=True))
        yield self.error_label("goal")

    def values(self) -> dict[str, Any]:
        if self.ending:
            index = self.query_one("#decision", RadioSet).pressed_index
            return {"decision": ("go", "stop")[max(index, 0)],
                    "note": self.query_one("#note", Input).value}
        name = self.query_one("#name", Input).value
        try:
            clean(name, "name", max_len=TITLE_MAX, required=True)
        except ValidationError as exc:
            raise ValidationError(str(exc), "name") from None
        return {"name": name, "seconds": parse_duration(self.query_one("#timebox", Input).value),
                "goal": self.query_one("#goal", Input).value}


class WipForm(Form):
    """A lane's soft WIP limit; empty for none."""

    def __init__(self, save: Save, *, lane: LaneInfo) -> None:
        super().__init__(f"WIP limit of {lane.name}", save)
        self.lane = lane

    def fields(self) -> ComposeResult:
        yield row("Limit", Input(str(self.lane.wip_limit or ""), id="limit", compact=True,
                                 placeholder="cards at most (empty for no limit)"))
        yield self.error_label("limit")

    def on_mount(self) -> None:
        self.query_one("#limit", Input).focus()

    def values(self) -> dict[str, Any]:
        raw = self.query_one("#limit", Input).value.strip()
        if not raw or raw == "0":
            return {"limit": None}
        if not raw.isdigit() or not 1 <= int(raw) <= 999:
            raise ValidationError("a WIP limit is a whole number from 1 to 999", "limit")
        return {"limit": int(raw)}
