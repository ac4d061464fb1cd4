"""``link``, ``unlink`` and ``sync`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import ok, one_line_error, run_cli
from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.runs import new_run


def test_hostile_metrics_files_are_one_line(db_path: Path, tmp_path: Path) -> None:
    run_cli("add", "h", db=db_path)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    deep = tmp_path / "deep.json"
    deep.write_text('{"a": ' * 5000 + "1" + "}" * 5000)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 5000 + "]" * 5000)
    flat = tmp_path / "flat.json"
    flat.write_text("[1, 2]")
    for path, said in ((loop, "loop"), (deep, "nested"), (nested, "nested"),
                       (flat, "not an object")):
        result = run_cli("link", "1", f"dvclive:{path}", db=db_path)
        assert said in one_line_error(result).lower(), result.stderr
    huge = tmp_path / "huge.json"
    huge.write_text('{"auc": 0.9, "big": 1' + "0" * 400 + "}")
    assert "'big' is out of range" in one_line_error(run_cli("link", "1", f"dvclive:{huge}",
                                                             db=db_path))
    odd = tmp_path / "odd.json"
    odd.write_text('{"auc": 0.9, "bad\\u001bname": 1}')
    result = run_cli("link", "1", f"dvclive:{odd}", db=db_path)
    assert result.returncode == 0 and "warning" in result.stderr and "bad␛name" in result.stderr


def test_bad_links_write_nothing(db: Path | str, tmp_path: Path,
                                 mlflow_server: MlflowServer) -> None:
    ok(run_cli("add", "h", "--criteria", "auc > 0.8", db=db, user="ann"))
    not_metrics = tmp_path / "config.json"
    not_metrics.write_text(json.dumps({"model": "bert", "lr": 2e-5}))
    garbage = tmp_path / "g.json"
    garbage.write_text("{not json")
    cases = [
        (["mlflow:" + "0" * 32, "--tracking-uri", mlflow_server.url], "no MLflow run '000"),
        (["http://127.0.0.1:1/#/experiments/1/mlflow"], "not the URL of an MLflow run"),
        (["mlflow:" + "1" * 32, "--tracking-uri", "http://127.0.0.1:1"], "cannot be reached"),
        (["mlflow:" + "1" * 32], "where is MLflow?"),
        ([f"dvclive:{not_metrics}"], "is not a metrics file: 'model' is not a number"),
        ([f"dvclive:{garbage}"], "is not a metrics file: not JSON"),
        ([f"dvclive:{tmp_path / 'missing'}"], "no metrics file at"),
        (["wandb:abc"], "say mlflow:RUN_ID, a run's URL, or dvclive:PATH"),
        (["dvclive:/dev/zero"], "not a regular file"),  # would never end
    ]
    for args, says in cases:
        result = run_cli("link", "1", *args, db=db, user="ann",
                         env={"MLFLOW_TRACKING_URI": ""})
        assert result.returncode == 1, (args, result.stdout)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and says in lines[0] and "Traceback" not in result.stderr, \
            (args, result.stderr)
    assert [e["kind"] for e in json.loads(ok(run_cli("show", "1", "--json", db=db)))["log"]] \
        == ["create"]
    secret = run_cli("config", "tracking-uri", "http://ann:hunter2@mlflow:5000", db=db)
    assert secret.returncode == 1 and "hunter2" not in secret.stderr + secret.stdout


def test_on_the_command_line(db: Path | str, mlflow_server: MlflowServer) -> None:
    ok(run_cli("add", "h", "--criteria", "precision > 0.95", db=db, user="ann"))
    run_id = new_run(mlflow_server, "cli-run", {"precision": 0.97})
    assert ok(run_cli("config", "tracking-uri", mlflow_server.url, db=db)).strip() == (
        f"board 'main': MLflow at {mlflow_server.url}")
    ok(run_cli("link", "1", f"mlflow:{run_id}", db=db, user="ann"))
    synced = ok(run_cli("sync", db=db))
    assert "synced 1 run: 1 new entry" in synced and "#1: every exit criterion is met" in synced
    assert "synced 1 run: 0 new entries" in ok(run_cli("sync", "1", db=db))
    shown = ok(run_cli("show", "1", db=db))
    assert "precision > 0.95: met (0.97, MLflow run cli-run)" in shown
    data = json.loads(ok(run_cli("show", "1", "--json", db=db)))
    assert data["criteria_status"][0]["source"] == "MLflow run cli-run"
    assert data["runs"][0]["status"] == "finished" and data["runs"][0]["name"] == "cli-run"
    events = [json.loads(line)["type"] for line in ok(run_cli("events", db=db)).splitlines()]
    assert events[-2:] == ["run.linked", "run.synced"]
    ok(run_cli("unlink", "1", f"mlflow:{run_id}", db=db))
    assert json.loads(ok(run_cli("show", "1", "--json", db=db)))["runs"] == []
