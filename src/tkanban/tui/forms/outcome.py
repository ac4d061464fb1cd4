"""The outcome form: validated, invalidated or inconclusive, with a one-line conclusion."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet, Static

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import OUTCOMES
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, clean
from tkanban.tui.forms.base import Form, Save, row
from tkanban.tui.render import literal


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
