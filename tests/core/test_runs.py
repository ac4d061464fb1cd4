"""Experiment runs on hypothesis cards, against a real MLflow tracking server on loopback
(runs logged through MLflow's own client), DVCLive output written by DVCLive itself, and a
scripted loopback server for hostile answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.proxy import Forwarder
from tests.helpers.runs import GET, RUN_A, RUN_B, hypothesis, met, new_run, run_entries
from tests.helpers.scripted import Reply, Scripted, json_reply, mlflow_run
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError, ValidationError
from tkanban.core.runs.links import links_of
from tkanban.core.runs.sync import link_run, set_tracking_uri, sync, unlink_run
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.core.transfer.backup import dump, export_json, import_json


def _link_by_url_and_by_tag(store: Store, mlflow_server: MlflowServer) -> None:
    card = hypothesis(store)
    other = hypothesis(store)
    by_url = new_run(mlflow_server, "by-url", {"precision": 0.5})
    link_run(store, card, f"{mlflow_server.url}/#/experiments/1/runs/{by_url}", author="ann")
    tagged = new_run(mlflow_server, "tagged", {"recall": 0.8},
                     tags={"tkanban.card": str(other)})
    elsewhere = new_run(mlflow_server, "other-board", {"recall": 0.1},
                        tags={"tkanban.card": str(other), "tkanban.board": "not-this-one"})
    set_tracking_uri(store, "main", mlflow_server.url)  # the board keeps it for the team
    report = sync(store, "main")
    assert report.linked == [(other, f"mlflow:{tagged}")] and report.problems == []
    refs = {(link.card_id, link.ref) for link in links_of(store, "main")}
    assert (card, f"mlflow:{by_url}") in refs and (other, f"mlflow:{tagged}") in refs
    assert (other, f"mlflow:{elsewhere}") not in refs
    assert sync(store, "main").linked == []  # linked once
    unlink_run(store, other, f"mlflow:{tagged}", author="ann")
    assert [e.kind for e in q.get_card(store, other).entries][-1] == "unlink"


def hostile_answers() -> dict[str, Any]:
    deep = "[" * 5000 + "1" + "]" * 5000
    return {
        "huge": json.dumps(mlflow_run(RUN_B, "huge", {"auc": 0.9})).replace(
            '"value": 0.9', '"value": 1' + "0" * 400).encode(),
        "text": json.dumps(mlflow_run(RUN_B, "text", {"auc": "0.95", "loss": 0.1,
                                                      "bad\x1bname": 0.2})).encode(),
        "list": json.dumps({"run": {"info": [], "data": {}}}).encode(),
        "deep": json.dumps(mlflow_run(RUN_B, "deep", {"auc": 0.5})).replace(
            '"tags": []', '"tags": ' + deep).encode(),
        "nested": b'{"run": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "many": json.dumps(mlflow_run(RUN_B, "many", {f"m{i:06d}": i for i in range(200_000)}
                                      | {"auc": 0.85})).encode(),
    }


def auc_hypothesis(store: Store) -> int:
    return ops.add_card(store, "main", "We believe the model reaches auc >= 0.8",
                        author="ann", kind="hypothesis", criteria="auc >= 0.8").id


@pytest.mark.parametrize("kind", ["huge", "text", "list", "deep", "nested", "many"])
@pytest.mark.file_only
def test_hostile_tracker_answers_are_one_line_and_the_other_runs_sync(
        store: Store, tracker: Scripted, kind: str, tmp_path: Path) -> None:
    card = auc_hypothesis(store)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.7})))
    tracker.on(GET + RUN_B, json_reply(mlflow_run(RUN_B, "soon-bad", {"auc": 0.6})))
    link_run(store, card, f"mlflow:{RUN_A}", author="ann", tracking_uri=tracker.url)
    link_run(store, card, f"mlflow:{RUN_B}", author="ann", tracking_uri=tracker.url)
    tracker.on(GET + RUN_A, json_reply(mlflow_run(RUN_A, "good", {"auc": 0.75})))
    tracker.on(GET + RUN_B, Reply(200, hostile_answers()[kind]))
    report = sync(store, "main", tracking_uri=tracker.url)
    said = report.problems + report.warnings
    assert said, kind
    assert all("\n" not in line and "mlflow:bbbbbbbb" in line for line in said), said
    runs = {e.data["run"]: e for e in q.get_card(store, card).entries if e.kind == "run"}
    assert runs["good"].metrics == {"auc": 0.75}  # the other run synced
    if kind == "many":
        assert len(runs["many"].metrics) == 1000 and runs["many"].metrics["auc"] == 0.85
    if kind == "text":
        assert runs["text"].metrics == {"loss": 0.1}
        assert any("bad␛name" in line for line in said)
    exported = dump(export_json(store))
    again = open_store(tmp_path / "again.db")
    import_json(again, json.loads(exported))
    assert dump(export_json(again)) == exported
    again.close()


@pytest.mark.file_only
def test_a_real_tracker_with_control_characters_in_names(store: Store, mlflow_server: Any,
                                                         tmp_path: Path) -> None:
    card = auc_hypothesis(store)
    client = mlflow_server.client()
    experiment = client.get_experiment_by_name("claims") or client.get_experiment(
        client.create_experiment("claims"))
    run = client.create_run(experiment.experiment_id,
                            run_name="red\x1b[31m @team \x07bell\u202eevil")
    client.log_metric(run.info.run_id, "auc", 0.83)
    client.set_terminated(run.info.run_id, "FINISHED")
    link = link_run(store, card, f"mlflow:{run.info.run_id}", author="ann",
                    tracking_uri=mlflow_server.url)
    assert "\x1b" not in link.name and "␛" in link.name and "⟨RLO⟩" in link.name
    assert any("name" in problem for problem in link.problems)
    report = sync(store, "main", tracking_uri=mlflow_server.url)
    assert report.entries == 1 and report.problems == []
    detail = q.get_card(store, card)
    assert detail.runs[0].metrics == {"auc": 0.83}
    assert q.mentions_of(store, "team", "main") == []  # a run's name pings nobody
    exported = dump(export_json(store))
    assert "\\u001b" not in exported and "\x1b" not in exported
    again = open_store(tmp_path / "again.db")
    import_json(again, json.loads(exported))
    assert dump(export_json(again)) == exported
    again.close()


def test_link_sync_and_the_criteria(store: Store, mlflow_server: MlflowServer) -> None:
    card = hypothesis(store)
    run_id = new_run(mlflow_server, "bert-lr2e-5", {"precision": 0.93, "recall": 0.74},
                     status=None)
    link = link_run(store, card, f"mlflow:{run_id}", author="ann",
                    tracking_uri=mlflow_server.url)
    assert (link.name, link.status) == ("bert-lr2e-5", "RUNNING")
    assert run_entries(store, card) == []  # linking reads the run; the sync writes
    first = sync(store, "main", tracking_uri=mlflow_server.url)
    assert (first.entries, first.problems) == (1, [])
    assert met(store, card) == [False, True]
    synced_at = links_of(store, "main")[0].synced_at
    store.clock.advance(60)  # type: ignore[attr-defined]
    assert sync(store, "main", tracking_uri=mlflow_server.url).entries == 0  # nothing new
    assert links_of(store, "main")[0].synced_at == synced_at  # and nothing written at all
    assert len(run_entries(store, card)) == 1
    mlflow_server.client().log_metric(run_id, "precision", 0.96)  # logged later
    mlflow_server.client().set_terminated(run_id, "FINISHED")
    report = sync(store, "main", tracking_uri=mlflow_server.url,
                  criteria_met=lambda s, c: all(met(s, c)))
    assert report.entries == 1 and report.met == [card]
    entries = run_entries(store, card)
    assert entries[-1].metrics == {"precision": 0.96}  # only what changed
    assert entries[-1].author == "mlflow" and entries[-1].data["status"] == "finished"
    assert entries[-1].data["url"].endswith(f"/runs/{run_id}")
    assert met(store, card) == [True, True]
    assert q.get_card(store, card).verdicts()[0].point.source == "MLflow run bert-lr2e-5"
    (shown,) = links_of(store, "main")
    assert (shown.status, shown.metrics) == ("FINISHED", {"precision": 0.96, "recall": 0.74})


@pytest.mark.file_only
def test_link_by_url_and_by_tag(store: Store, mlflow_server: MlflowServer) -> None:
    client = mlflow_server.client()
    before = {r.info.run_id for r in client.search_runs(
        [e.experiment_id for e in client.search_experiments()])}
    try:
        _link_by_url_and_by_tag(store, mlflow_server)
    finally:  # tags name card ids, which every test reuses: no later sync may find these
        for run in client.search_runs([e.experiment_id for e in client.search_experiments()]):
            if run.info.run_id not in before:
                client.delete_run(run.info.run_id)


@pytest.mark.file_only
def test_a_failed_run_and_a_tracker_that_goes_away(store: Store,
                                                   mlflow_server: MlflowServer) -> None:
    """The real tracker, reached through a forwarder that goes away and comes back (the
    board sees what it would see of a server restarting, without the restart's 15 s)."""
    path = Forwarder(mlflow_server.port)
    try:
        card = hypothesis(store)
        run_id = new_run(mlflow_server, "crashed", {"precision": 0.2}, status="FAILED")
        link_run(store, card, f"mlflow:{run_id}", author="ann", tracking_uri=path.url)
        sync(store, "main", tracking_uri=path.url)
        assert links_of(store, "main")[0].status == "FAILED"
        assert run_entries(store, card)[0].data["status"] == "failed"
        mlflow_server.client().log_metric(run_id, "recall", 0.9)
        path.stop()
        report = sync(store, "main", tracking_uri=path.url)
        assert report.entries == 0 and len(report.problems) == 1
        assert "cannot be reached" in report.problems[0]
        path.start()
        assert sync(store, "main", tracking_uri=path.url).entries == 1  # caught up
        assert [e.metrics for e in run_entries(store, card)] == [{"precision": 0.2},
                                                                  {"recall": 0.9}]
    finally:
        path.stop()


@pytest.mark.file_only
def test_dvclive_output_written_by_dvclive(store: Store, tmp_path: Path) -> None:
    from dvclive import Live

    folder = tmp_path / "dvclive"
    with Live(str(folder), save_dvc_exp=False, dvcyaml=False) as live:  # none in the repo
        live.log_metric("precision", 0.91)
        live.log_metric("train/loss", 0.3)
        live.next_step()
    card = hypothesis(store, "precision > 0.9")
    link = link_run(store, card, f"dvclive:{folder}", author="ann")
    assert link.ref == "dvclive:dvclive" and link.status == "file"  # beside the board file
    assert sync(store, "main").entries == 1 and sync(store, "main").entries == 0
    assert run_entries(store, card)[0].metrics == {"precision": 0.91, "train/loss": 0.3}
    assert met(store, card) == [True]
    with Live(str(folder), save_dvc_exp=False, dvcyaml=False, resume=True) as live:
        live.log_metric("precision", 0.95)
        live.next_step()
    assert sync(store, "main").entries == 1
    assert run_entries(store, card)[-1].metrics == {"precision": 0.95}


@pytest.mark.file_only
def test_runs_reject_bad_input_in_the_core(store: Store) -> None:
    card = hypothesis(store)
    with pytest.raises(ValidationError, match="not an MLflow run id"):
        link_run(store, card, "mlflow:../../etc", author="ann")
    with pytest.raises(TkanbanError, match="no card #99"):
        link_run(store, 99, "mlflow:" + "a" * 32, author="ann")
