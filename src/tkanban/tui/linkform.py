"""The form that links an experiment run to a card."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static

from tkanban.core.records import CardInfo
from tkanban.tui.dialogs import Form, Save, row
from tkanban.tui.render import literal


class LinkForm(Form):
    """Link a run to the card: ``mlflow:RUN_ID``, a run's URL, or ``dvclive:PATH``."""

    def __init__(self, save: Save, *, card: CardInfo) -> None:
        super().__init__(f"Link a run to #{card.id} {card.title}", save)

    def fields(self) -> ComposeResult:
        yield Static(literal("An MLflow run's id (mlflow:ID) or its URL from the MLflow UI, or "
                             "a DVCLive folder or metrics file (dvclive:PATH)."), classes="hint")
        yield row("Run", Input("", id="ref", compact=True,
                               placeholder="mlflow:3f2a… · http://mlflow:5000/#/…/runs/… · "
                               "dvclive:./dvclive"))
        yield self.error_label("ref")

    def values(self) -> dict[str, Any]:
        from tkanban.core.errors import ValidationError

        ref = self.query_one("#ref", Input).value.strip()
        if not ref:
            raise ValidationError("give a run: mlflow:RUN_ID, its URL, or dvclive:PATH", "ref")
        return {"ref": ref}
