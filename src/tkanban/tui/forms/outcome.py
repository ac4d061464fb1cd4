"""The outcome form: validated, invalidated or inconclusive, with a one-line conclusion, the
verdict of the card's evidence above it, and a reason when the outcome goes against it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, RadioButton, RadioSet, Static

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import OUTCOMES
from tkanban.core.model.evidence import Verdict
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, clean
from tkanban.tui.forms.base import Form, Save, row
from tkanban.tui.render import literal


class OutcomeForm(Form):
    """validated / invalidated / inconclusive, with a one-line conclusion."""

    def __init__(self, save: Save, *, card: CardInfo, suggested: str | None = None,
                 reason: str = "", verdicts: list[Verdict] | None = None) -> None:
        super().__init__(f"Outcome of #{card.id} {card.title}", save)
        self.current = card.outcome or suggested
        self.reason = reason
        self.conclusion = card.conclusion
        self.verdicts = verdicts or []

    def fields(self) -> ComposeResult:
        if self.reason:
            yield Static(literal(self.reason), classes="hint")
        if self.verdicts:
            yield Static(literal("Evidence: " + "; ".join(
                f"{v.criterion} " + ("✓" if v.met else "·" if v.met is None else "✗")
                + ("" if v.point is None else f" {v.point.value:g} ({v.point.where()})")
                for v in self.verdicts)), classes="hint", id="evidence")
        yield row("Outcome", RadioSet(*(RadioButton(o, value=o == self.current)
                                        for o in OUTCOMES), id="outcome"))
        yield self.error_label("outcome")
        yield row("Conclusion", Input(self.conclusion, id="conclusion", max_length=LINE_MAX,
                                      compact=True, placeholder="what the team learned"))
        yield self.error_label("conclusion")
        yield row("Reason", Input("", id="reason", max_length=LINE_MAX, compact=True,
                                  placeholder="why, if the evidence says otherwise"))
        yield self.error_label("reason")

    def on_mount(self) -> None:
        self.query_one("#outcome", RadioSet).focus()

    def values(self) -> dict[str, Any]:
        pressed = self.query_one("#outcome", RadioSet).pressed_index
        if pressed < 0:
            raise ValidationError("choose validated, invalidated or inconclusive", "outcome")
        return {"outcome": OUTCOMES[pressed],
                "conclusion": clean(self.query_one("#conclusion", Input).value, "conclusion",
                                    max_len=LINE_MAX),
                "reason": clean(self.query_one("#reason", Input).value, "reason",
                                max_len=LINE_MAX)}
