"""Runs logged through MLflow's own client, and hypothesis cards to link them to."""

from __future__ import annotations

from typing import Any

from tests.helpers.mlflowserver import MlflowServer
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage.base import Store

RUN_A, RUN_B, RUN_C = "a" * 32, "b" * 32, "c" * 32
GET = "/api/2.0/mlflow/runs/get?run_id="


def met(store: Store, card_id: int) -> list[bool | None]:
    return [s.met for s in q.get_card(store, card_id).verdicts()]


def hypothesis(store: Store, criteria: str = "precision > 0.95 and recall > 0.7") -> int:
    return ops.add_card(store, "main", "We believe BERT reaches precision > 0.95",
                        author="ann", kind="hypothesis", criteria=criteria).id


def run_entries(store: Store, card_id: int) -> list[Any]:
    return [e for e in q.get_card(store, card_id).entries if e.kind == "run"]


def new_run(server: MlflowServer, name: str, metrics: dict[str, float],
            tags: dict[str, str] | None = None, status: str | None = "FINISHED",
            params: dict[str, str] | None = None, commit: str | None = None,
            steps: dict[str, list[float]] | None = None) -> str:
    """A run logged through MLflow's own client; ``status`` None leaves it running;
    ``steps`` logs a metric's values at steps 0, 1, … before its final value."""
    client = server.client()
    experiment = client.get_experiment_by_name("claims")
    experiment_id = (experiment.experiment_id if experiment is not None
                     else client.create_experiment("claims"))
    tags = dict(tags or {})
    if commit:
        tags["mlflow.source.git.commit"] = commit
    run = client.create_run(experiment_id, run_name=name, tags=tags)
    for name, text in (params or {}).items():
        client.log_param(run.info.run_id, name, text)
    for key, values in (steps or {}).items():
        for step, value in enumerate(values):
            client.log_metric(run.info.run_id, key, value, step=step)
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value,
                          step=len((steps or {}).get(key, [])))
    if status is not None:
        client.set_terminated(run.info.run_id, status)
    return str(run.info.run_id)
