"""The phase form: start a board-level time box (name, box, goal), or end the running one
with its go/stop decision."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet

from tkanban.core.errors import ValidationError
from tkanban.core.model.text import LINE_MAX, TITLE_MAX, clean
from tkanban.core.model.timebox import parse_duration
from tkanban.tui.forms.base import Form, Save, row


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
