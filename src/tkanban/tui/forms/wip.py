"""The WIP-limit form: a lane's soft limit, empty for none."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input

from tkanban.core.errors import ValidationError
from tkanban.core.model.records import LaneInfo
from tkanban.tui.forms.base import Form, Save, row


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
