"""A yes/no question asked over the board."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool | None]):
    """A yes/no question: ``y`` or ``enter`` says yes, ``n`` no; ``escape`` answers nothing
    (None) and changes nothing."""

    DEFAULT_CSS = """
    ConfirmDialog {
        align: center middle;
        & > #dialog {
            width: 60; max-width: 100%; height: auto; background: $surface;
            border: thick $warning; padding: 1 2;
        }
        & #buttons { height: auto; margin: 1 0 0 0; }
        & Button { margin: 0 1 0 0; }
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, question: Content) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question)
            with Horizontal(id="buttons"):
                yield Button("Yes (y)", id="yes", variant="warning")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
