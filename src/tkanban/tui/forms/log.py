"""The research-log form: an entry with @mentions, and metric values (one field for each
metric the exit criteria name)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Static, TextArea

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import Criterion, parse_metrics
from tkanban.core.model.records import CardInfo
from tkanban.tui.forms.base import Form, Save, row


class LogForm(Form):
    """A research-log entry: text with @mentions, and metric values."""

    def __init__(self, save: Save, *, card: CardInfo, criteria: list[Criterion]) -> None:
        super().__init__(f"Log on #{card.id} {card.title}", save)
        self.metric_names = list(dict.fromkeys(c.metric for c in criteria))

    def fields(self) -> ComposeResult:
        yield Static("@name mentions a teammate", classes="hint")
        yield row("Entry", TextArea("", id="text"))
        yield self.error_label("text")
        for i, name in enumerate(self.metric_names):
            yield row(name, Input("", id=f"metric-{i}", compact=True,
                                  placeholder="value for this exit criterion, e.g. 0.83"))
            yield self.error_label(f"metric-{i}")
        yield row("Metrics", Input("", id="metrics", compact=True,
                                   placeholder="name=value …, e.g. auc=0.83 f1=0.71"))
        yield self.error_label("metrics")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def values(self) -> dict[str, Any]:
        metrics: dict[str, float] = {}
        for i, name in enumerate(self.metric_names):
            raw = self.query_one(f"#metric-{i}", Input).value.strip()
            if raw:
                try:
                    metrics.update(parse_metrics(f"{name}={raw}"))
                except ValidationError as exc:
                    raise ValidationError(str(exc), f"metric-{i}") from None
        try:
            metrics.update(parse_metrics(self.query_one("#metrics", Input).value))
        except ValidationError as exc:
            raise ValidationError(str(exc), "metrics") from None
        text = self.query_one("#text", TextArea).text
        if not text.strip() and not metrics:
            raise ValidationError("write an entry or give a metric", "text")
        return {"text": text, "metrics": metrics}
