"""A hypothesis judged on its evidence, from the command line: the best run, a pinned run,
a run's history, an outcome against the evidence, closing where it ends, evidence that
travels with an export and a clone of the project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import fails, ok, run_cli
from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.pgserver import PgServer
from tests.helpers.runs import new_run


def verdicts(db: Path | str, card: str) -> list[tuple[bool | None, float | None, str | None,
                                                       int | None]]:
    shown = json.loads(ok(run_cli("show", card, "--json", db=db)))
    return [(v["met"], v["value"], v["run"], v["step"]) for v in shown["criteria_status"]]


def test_the_best_run_judges_unlinking_and_pinning_change_it_at_once(
        db: Path | str, mlflow_server: MlflowServer) -> None:
    ok(run_cli("add", "We believe the new features reach accuracy 0.9", "--criteria",
               "accuracy >= 0.9", db=db, user="ann"))
    ok(run_cli("config", "tracking-uri", mlflow_server.url, db=db))
    strong = new_run(mlflow_server, "full-model", {"accuracy": 0.913},
                     params={"lr": "0.01", "depth": "8"}, commit="a1b2c3d4e5f6")
    weak = new_run(mlflow_server, "ablation", {"accuracy": 0.809},
                   params={"lr": "0.01", "depth": "4"})
    for run in (strong, weak):  # the weaker ablation comes last
        ok(run_cli("link", "1", f"mlflow:{run}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    assert verdicts(db, "1") == [(True, 0.913, f"mlflow:{strong}", None)]
    shown = ok(run_cli("show", "1", db=db))
    assert "accuracy >= 0.9: met (0.913, MLflow run full-model)" in shown

    table = ok(run_cli("runs", "1", db=db))
    assert "params that differ:" in table and "depth" in table and "commit a1b2c3d4e5" in table
    assert "lr" not in table.split("params that differ:")[1]  # the same in both runs
    data = json.loads(ok(run_cli("runs", "1", "--json", db=db)))
    assert data["differing_params"] == ["depth"]
    assert {r["name"]: r["commit"] for r in data["runs"]} == {"full-model": "a1b2c3d4e5f6",
                                                              "ablation": None}
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in data["runs"])

    ok(run_cli("unlink", "1", f"mlflow:{strong}", db=db, user="ann"))
    assert verdicts(db, "1") == [(False, 0.809, f"mlflow:{weak}", None)]
    ok(run_cli("link", "1", f"mlflow:{strong}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    assert ok(run_cli("pin", "1", f"mlflow:{weak}", db=db, user="ann")).strip() == (
        f"#1: judged on mlflow:{weak} alone")
    assert verdicts(db, "1") == [(False, 0.809, f"mlflow:{weak}", None)]
    assert "pinned" in ok(run_cli("runs", "1", db=db))
    ok(run_cli("unpin", "1", db=db, user="ann"))
    assert verdicts(db, "1")[0][:2] == (True, 0.913)
    kinds = [e["kind"] for e in json.loads(ok(run_cli("show", "1", "--json", db=db)))["log"]]
    assert kinds.count("pin") == 1 and kinds.count("unpin") == 1
    fails(run_cli("pin", "1", "mlflow:" + "f" * 32, db=db), "is not linked to #1")

    ok(run_cli("add", "Lower loss", "--criteria", "loss <= 0.2", db=db, user="ann"))
    for name, loss in (("low", 0.15), ("high", 0.25)):
        ok(run_cli("link", "2", f"mlflow:{new_run(mlflow_server, name, {'loss': loss})}",
                   db=db, user="ann"))
    ok(run_cli("sync", db=db))
    assert verdicts(db, "2")[0][:2] == (True, 0.15)  # the lowest is the best


def test_history_of_a_dvclive_run_under_best_step_and_last(db: Path | str,
                                                           tmp_path: Path) -> None:
    from dvclive import Live

    folder = tmp_path / "project" / "dvclive"
    folder.parent.mkdir()
    with Live(str(folder), save_dvc_exp=False, dvcyaml=False) as live:
        for accuracy, loss in ((0.91, 0.19), (0.93, 0.18), (0.85, 0.3)):
            live.log_metric("accuracy", accuracy)
            live.log_metric("loss", loss)
            live.next_step()
    ok(run_cli("add", "Early stopping would have met it", "--criteria",
               "accuracy > 0.9 and loss < 0.2", db=db, user="ann"))
    ok(run_cli("link", "1", f"dvclive:{folder}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    assert [v[0] for v in verdicts(db, "1")] == [False, False]  # best: the run's final values
    ok(run_cli("config", "evidence", "best-step", db=db))
    assert [v[:2] + v[3:] for v in verdicts(db, "1")] == [(True, 0.93, 1), (True, 0.18, 1)]
    assert "accuracy > 0.9: met (0.93, DVCLive dvclive, step 1)" in ok(run_cli("show", "1",
                                                                           db=db))
    ok(run_cli("config", "evidence", "last", db=db))
    assert [v[0] for v in verdicts(db, "1")] == [False, False]
    fails(run_cli("config", "evidence", "median", db=db),
          "evidence is one of best, best-step, last")


def test_an_outcome_against_the_evidence_needs_a_reason(db: Path | str,
                                                        tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"accuracy": 0.8}))
    ok(run_cli("add", "h", "--criteria", "accuracy >= 0.9", db=db, user="ann"))
    ok(run_cli("link", "1", f"dvclive:{metrics}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    refused = fails(run_cli("outcome", "1", "validated", db=db, user="ann"),
                    "does not bear out 'validated'")
    assert "accuracy >= 0.9 not met (0.8, DVCLive" in refused and "reason" in refused
    ok(run_cli("outcome", "1", "validated", "--reason", "the test set was mislabelled",
               db=db, user="ann"))
    shown = json.loads(ok(run_cli("show", "1", "--json", db=db)))
    assert shown["against_evidence"] is True and shown["outcome"] == "validated"
    assert "⚠ outcome against evidence" in ok(run_cli("show", "1", db=db))
    ok(run_cli("outcome", "1", "invalidated", db=db, user="ann"))  # agrees: no reason asked
    assert json.loads(ok(run_cli("show", "1", "--json", db=db)))["against_evidence"] is False


def test_close_goes_straight_to_done_and_the_retro_counts_only_lanes_passed(
        db: Path | str) -> None:
    ok(run_cli("add", "h", "--criteria", "accuracy > 0.9", db=db, user="ann"))
    ok(run_cli("add", "a task", db=db, user="ann"))
    ok(run_cli("move", "1", "test-hypothesis", db=db))
    fails(run_cli("close", "1", db=db), "needs an outcome")
    assert ok(run_cli("close", "1", "--outcome", "invalidated", "--note", "no gain",
                      db=db)).strip() == "#1 is in Done, invalidated"
    moves = [e for e in json.loads(ok(run_cli("show", "1", "--json", db=db)))["log"]
             if e["kind"] == "move"]
    assert [m["data"]["to"] for m in moves] == ["test-hypothesis", "done"]
    assert ok(run_cli("close", "2", db=db)).strip() == "#2 is in Done"
    lanes = json.loads(ok(run_cli("retro", "--format", "json", db=db)))["lane_time_seconds"]
    assert lanes["review-hypothesis"] == lanes["update-model"] == lanes["review-model"] == 0


@pytest.mark.file_only
def test_a_dvclive_link_syncs_from_a_clone_of_the_project(tmp_path: Path) -> None:
    project = tmp_path / "ann" / "project"
    (project / "dvclive").mkdir(parents=True)
    (project / "dvclive" / "metrics.json").write_text(json.dumps({"accuracy": 0.8}))
    board = project / "board.db"
    ok(run_cli("add", "h", "--criteria", "accuracy > 0.9", db=board, user="ann"))
    ok(run_cli("link", "1", f"dvclive:{project / 'dvclive'}", db=board, user="ann"))
    assert json.loads(ok(run_cli("show", "1", "--json", db=board)))["runs"][0]["ref"] == \
        "dvclive:dvclive"
    clone = tmp_path / "bob" / "project"
    shutil.copytree(project, clone)
    (clone / "dvclive" / "metrics.json").write_text(json.dumps({"accuracy": 0.95}))
    assert "1 new entry" in ok(run_cli("sync", db=clone / "board.db"))
    assert verdicts(clone / "board.db", "1")[0][:2] == (True, 0.95)
    ok(run_cli("unlink", "1", "dvclive:dvclive", db=clone / "board.db"))


@pytest.mark.server
@pytest.mark.file_only
def test_export_to_a_server_keeps_the_tracking_uri_and_the_runs_sync_there(
        tmp_path: Path, mlflow_server: MlflowServer, pg_server: PgServer) -> None:
    board = tmp_path / "board.db"
    ok(run_cli("add", "h", "--criteria", "accuracy >= 0.9", db=board, user="ann"))
    ok(run_cli("config", "tracking-uri", mlflow_server.url, db=board))
    ok(run_cli("config", "evidence", "best-step", db=board))
    run = new_run(mlflow_server, "r", {"accuracy": 0.95})
    ok(run_cli("link", "1", f"mlflow:{run}", db=board, user="ann"))
    exported = tmp_path / "board.json"
    exported.write_text(ok(run_cli("export", db=board)))
    assert json.loads(exported.read_text())["boards"][0]["settings"] == {
        "evidence": "best-step", "tracking_uri": mlflow_server.url}
    server = str(pg_server.url(pg_server.new_database()))
    ok(run_cli("import", str(exported), db=server))
    assert ok(run_cli("config", "tracking-uri", db=server)).strip() == mlflow_server.url
    assert "1 new entry" in ok(run_cli("sync", db=server))
    assert verdicts(server, "1")[0][:2] == (True, 0.95)


def test_a_run_linked_by_its_url_keeps_its_server_and_its_history(
        db: Path | str, mlflow_server: MlflowServer) -> None:
    run = new_run(mlflow_server, "by-url", {"accuracy": 0.85},
                  steps={"accuracy": [0.80, 0.92]})
    ok(run_cli("add", "h", "--criteria", "accuracy > 0.9", db=db, user="ann"))
    ok(run_cli("link", "1", f"{mlflow_server.url}/#/experiments/1/runs/{run}", db=db,
               user="ann"))
    assert "1 new entry" in ok(run_cli("sync", db=db))  # no "where is MLflow?"
    assert verdicts(db, "1") == [(False, 0.85, f"mlflow:{run}", None)]
    ok(run_cli("config", "evidence", "best-step", db=db))
    assert verdicts(db, "1") == [(True, 0.92, f"mlflow:{run}", 1)]
    history = json.loads(ok(run_cli("runs", "1", "--json", db=db)))["runs"][0]["history"]
    assert history == {"accuracy": [[0, 0.8], [1, 0.92], [2, 0.85]]}
