"""The form that links an experiment run to a card, or unlinks one."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from tkanban.core.errors import ValidationError
from tkanban.core.model.records import CardInfo, LinkInfo
from tkanban.tui.forms.base import Form, Save, row
from tkanban.tui.render import literal

LINK = "+"
"""The action's value for "link a new run" (the others are the refs of linked runs)."""
PIN, UNPIN = "pin ", "unpin"
"""The actions' values for judging the card on one run alone (``PIN`` + its ref), or on all
its evidence again."""


class LinkForm(Form):
    """Link a run to the card (``mlflow:RUN_ID``, a run's URL, or ``dvclive:PATH``), unlink
    one it has, or judge the card on one of them alone (pin) or on all again."""

    def __init__(self, save: Save, *, card: CardInfo, runs: list[LinkInfo]) -> None:
        super().__init__(f"Runs of #{card.id} {card.title}", save)
        self.runs = runs

    def fields(self) -> ComposeResult:
        yield Static(literal("An MLflow run's id (mlflow:ID) or its URL from the MLflow UI, or "
                             "a DVCLive folder or metrics file (dvclive:PATH)."), classes="hint")
        if self.runs:
            choices = [("link a run", LINK)] + [
                (f"unlink {run.name or run.ref} ({run.ref.split(':', 1)[0]})", run.ref)
                for run in self.runs]
            choices += [(f"judge on {run.name or run.ref} alone (pin)", PIN + run.ref)
                        for run in self.runs if not run.pinned and len(self.runs) > 1]
            if any(run.pinned for run in self.runs):
                choices.append(("judge on all the evidence again (unpin)", UNPIN))
            yield row("Action", Select(choices, value=LINK, allow_blank=False, id="action",
                                       compact=True))
        yield row("Run", Input("", id="ref", compact=True,
                               placeholder="mlflow:3f2a… · http://mlflow:5000/#/…/runs/… · "
                               "dvclive:./dvclive"))
        yield self.error_label("ref")

    def on_mount(self) -> None:
        self.query_one("#ref", Input).focus()

    @on(Select.Changed, "#action")
    def _action_changed(self, event: Select.Changed) -> None:
        self.query_one("#ref", Input).disabled = event.value != LINK

    def values(self) -> dict[str, Any]:
        action = str(self.query_one("#action", Select).value) if self.runs else LINK
        if action == UNPIN:
            return {"pin": None}
        if action.startswith(PIN):
            return {"pin": action.removeprefix(PIN)}
        if action != LINK:
            return {"unlink": action}
        ref = self.query_one("#ref", Input).value.strip()
        if not ref:
            raise ValidationError("give a run: mlflow:RUN_ID, its URL, or dvclive:PATH", "ref")
        return {"ref": ref}
