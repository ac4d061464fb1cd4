"""The form that ties the card to another: "this card blocks / follows / … card #N"."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Select

from tkanban.core.errors import ValidationError
from tkanban.core.model.records import CardInfo
from tkanban.tui.forms.base import Form, Save, row

CHOICES = [
    ("is blocked by (waits until it is in Done)", "blocked-by"),
    ("blocks", "blocks"),
    ("follows (grew out of its result)", "follows"),
    ("is followed by", "followed-by"),
    ("relates to", "relates-to"),
    ("duplicates", "duplicates"),
    ("is duplicated by", "duplicated-by"),
]
"""What the form offers, as the card says it of the other: (shown, ``PHRASES`` key)."""


class RelateForm(Form):
    """Tie the card to another card of the board."""

    def __init__(self, save: Save, *, card: CardInfo) -> None:
        super().__init__(f"Relate #{card.id} {card.title}", save)
        self.card = card

    def fields(self) -> ComposeResult:
        yield row("Relation", Select(CHOICES, value="blocked-by", allow_blank=False,
                                     id="relation", compact=True))
        yield row("Card #", Input("", id="other", compact=True, restrict=r"#?[0-9]*",
                                  placeholder="the other card's number, e.g. 12"))
        yield self.error_label("other")

    def on_mount(self) -> None:
        self.query_one("#other", Input).focus()

    def values(self) -> dict[str, Any]:
        raw = self.query_one("#other", Input).value.strip().lstrip("#")
        if not raw:
            raise ValidationError("give the other card's number", "other")
        other = int(raw)
        if not 1 <= other <= 2**62:
            raise ValidationError(f"no card #{raw}", "other")
        if other == self.card.id:
            raise ValidationError("a card cannot relate to itself", "other")
        return {"relation": str(self.query_one("#relation", Select).value), "other": other}
