"""The form that blocks a card: what holds it up."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input

from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import LINE_MAX, clean
from tkanban.tui.forms.base import Form, Save, row


class BlockForm(Form):
    """Block a card: the reason goes on the card and into its log."""

    def __init__(self, save: Save, *, card: CardInfo) -> None:
        super().__init__(f"Block #{card.id} {card.title}", save)

    def fields(self) -> ComposeResult:
        yield row("Blocked by", Input("", id="reason", max_length=LINE_MAX, compact=True,
                                      placeholder="what it waits for: labels, a GPU slot …"))
        yield self.error_label("reason")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def values(self) -> dict[str, Any]:
        reason = clean(self.query_one("#reason", Input).value, "reason", max_len=LINE_MAX,
                       required=True)
        return {"reason": reason}
