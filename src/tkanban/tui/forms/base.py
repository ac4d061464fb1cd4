"""The base of every form. ``tab``/``shift+tab`` move between fields, ``ctrl+s`` saves (so does
``enter`` in a one-line field), ``escape`` cancels and changes nothing, ``ctrl+e`` writes a
multi-line field in the user's editor.

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
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static, TextArea

from tkanban.core.errors import ConflictError, TkanbanError, ValidationError
from tkanban.core.model.text import visible
from tkanban.tui.render import literal
from tkanban.user.editor import EditorError, edit_text

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
