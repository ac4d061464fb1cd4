"""The time-box form: set a card's box, or extend a running one with a reason."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from tkanban.core.errors import ValidationError
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, clean
from tkanban.core.model.timebox import format_duration, parse_duration
from tkanban.tui.forms.base import Form, Save, row
from tkanban.tui.render import literal


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
