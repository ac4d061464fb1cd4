"""Experiment runs on hypothesis cards, against a real MLflow tracking server on loopback (runs
logged through MLflow's own client) and DVCLive output written by DVCLive itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError, ValidationError
from tkanban.core.runs.links import links_of
from tkanban.core.runs.sync import link_run, set_tracking_uri, sync, unlink_run
from tkanban.core.storage.base import Store

from .conftest import run_cli
from .mlflowserver import MlflowServer


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return result.stdout


def new_run(server: MlflowServer, name: str, metrics: dict[str, float],
            tags: dict[str, str] | None = None, status: str | None = "FINISHED") -> str:
    """A run logged through MLflow's own client; ``status`` None leaves it running."""
    client = server.client()
    experiment = client.get_experiment_by_name("claims")
    experiment_id = (experiment.experiment_id if experiment is not None
                     else client.create_experiment("claims"))
    run = client.create_run(experiment_id, run_name=name, tags=tags or {})
    for key, value in metrics.items():
        client.log_metric(run.info.run_id, key, value)
    if status is not None:
        client.set_terminated(run.info.run_id, status)
    return str(run.info.run_id)


def hypothesis(store: Store, criteria: str = "precision > 0.95 and recall > 0.7") -> int:
    return ops.add_card(store, "main", "We believe BERT reaches precision > 0.95",
                        author="ann", kind="hypothesis", criteria=criteria).id


def run_entries(store: Store, card_id: int) -> list[Any]:
    return [e for e in q.get_card(store, card_id).entries if e.kind == "run"]


def met(store: Store, card_id: int) -> list[bool | None]:
    return [s.met for s in q.get_card(store, card_id).criteria_status()]


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
    assert q.get_card(store, card).source_of("precision") == "MLflow run bert-lr2e-5"
    (shown,) = links_of(store, "main")
    assert (shown.status, shown.metrics) == ("FINISHED", {"precision": 0.96, "recall": 0.74})


def test_link_by_url_and_by_tag(store: Store) -> None:
    mlflow_server = MlflowServer()  # its own: tags name card ids, which every test reuses
    try:
        _link_by_url_and_by_tag(store, mlflow_server)
    finally:
        mlflow_server.stop()


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


def test_a_failed_run_and_a_tracker_that_goes_away(store: Store, tmp_path: Path) -> None:
    server = MlflowServer()
    try:
        card = hypothesis(store)
        run_id = new_run(server, "crashed", {"precision": 0.2}, status="FAILED")
        link_run(store, card, f"mlflow:{run_id}", author="ann", tracking_uri=server.url)
        sync(store, "main", tracking_uri=server.url)
        assert links_of(store, "main")[0].status == "FAILED"
        assert run_entries(store, card)[0].data["status"] == "failed"
        server.client().log_metric(run_id, "recall", 0.9)
        server.stop()
        report = sync(store, "main", tracking_uri=server.url)
        assert report.entries == 0 and len(report.problems) == 1
        assert "cannot be reached" in report.problems[0]
        server.start()
        assert sync(store, "main", tracking_uri=server.url).entries == 1  # caught up
        assert [e.metrics for e in run_entries(store, card)] == [{"precision": 0.2},
                                                                  {"recall": 0.9}]
    finally:
        server.stop()


def test_dvclive_output_written_by_dvclive(store: Store, tmp_path: Path) -> None:
    from dvclive import Live

    folder = tmp_path / "dvclive"
    with Live(str(folder), save_dvc_exp=False, dvcyaml=False) as live:  # none in the repo
        live.log_metric("precision", 0.91)
        live.log_metric("train/loss", 0.3)
        live.next_step()
    card = hypothesis(store, "precision > 0.9")
    link = link_run(store, card, f"dvclive:{folder}", author="ann")
    assert link.ref == f"dvclive:{folder}" and link.status == "file"
    assert sync(store, "main").entries == 1 and sync(store, "main").entries == 0
    assert run_entries(store, card)[0].metrics == {"precision": 0.91, "train/loss": 0.3}
    assert met(store, card) == [True]
    with Live(str(folder), save_dvc_exp=False, dvcyaml=False, resume=True) as live:
        live.log_metric("precision", 0.95)
        live.next_step()
    assert sync(store, "main").entries == 1
    assert run_entries(store, card)[-1].metrics == {"precision": 0.95}


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
    assert "precision > 0.95: met (latest 0.97, MLflow run cli-run)" in shown
    data = json.loads(ok(run_cli("show", "1", "--json", db=db)))
    assert data["criteria_status"][0]["source"] == "MLflow run cli-run"
    assert data["runs"][0]["status"] == "finished" and data["runs"][0]["name"] == "cli-run"
    events = [json.loads(line)["type"] for line in ok(run_cli("events", db=db)).splitlines()]
    assert events[-2:] == ["run.linked", "run.synced"]
    ok(run_cli("unlink", "1", f"mlflow:{run_id}", db=db))
    assert json.loads(ok(run_cli("show", "1", "--json", db=db)))["runs"] == []


def test_no_tracker_is_imported_for_a_board_without_runs(db_path: Path) -> None:
    import subprocess
    import sys

    ok(run_cli("add", "x", db=db_path))
    code = ("import sys; from tkanban.cli import main; main(['--db', sys.argv[1], 'show', '1']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'mlflow') "
            "or m in ('urllib.request', 'http.client', 'tkanban.core.runs.trackers')))")
    result = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True,
                            text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_runs_reject_bad_input_in_the_core(store: Store) -> None:
    card = hypothesis(store)
    with pytest.raises(ValidationError, match="not an MLflow run id"):
        link_run(store, card, "mlflow:../../etc", author="ann")
    with pytest.raises(TkanbanError, match="no card #99"):
        link_run(store, 99, "mlflow:" + "a" * 32, author="ann")


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_board_links_and_syncs_runs_in_the_background(
        store: Store, tmp_path: Path, size: tuple[int, int]) -> None:
    import asyncio

    from tkanban.tui.app import TkanbanApp
    from tkanban.tui.screens.card import CardScreen

    from .screen import screen_lines, screen_text
    from .test_tui import press, settle

    card = hypothesis(store, "precision > 0.95")
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"precision": 0.9, "step": 1}))
    app = TkanbanApp(store, "main", "alice", poll_interval=0.2, sync_interval=0.3)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "g")
        assert f"Runs of #{card}" in screen_text(app)
        app.screen.query_one("#ref").value = f"dvclive:{metrics}"  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        assert [link.ref for link in links_of(store, "main")] == [f"dvclive:{metrics}"]

        async def until(check) -> None:  # type: ignore[no-untyped-def]
            for _ in range(100):
                await asyncio.sleep(0.1)
                await settle(app, pilot)
                if check():
                    return

        await until(lambda: run_entries(store, card))  # synced without a key press
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        await until(lambda: "precision 0.9 ✗" in screen_text(app))
        text = screen_text(app)
        assert "Runs (1)" in text and "precision 0.9 ✗" in text and "file" in text
        metrics.write_text(json.dumps({"precision": 0.97, "step": 2}))  # the run goes on
        await until(lambda: "precision = 0.97" in screen_text(app))  # the log grew
        await press(app, pilot, "home")  # the pane followed the log: back to the top
        assert "precision 0.97 ✓" in screen_text(app)
        await press(app, pilot, "escape")
        await until(lambda: any("criteria met" in line for line in screen_lines(app)))
        assert any("✓ criteria met" in line or "✓ crit" in line for line in screen_lines(app))
        assert "a run meets every exit criterion" in screen_text(app)
        await press(app, pilot, "g")  # the same key unlinks
        assert "unlink metrics.json" in screen_text(app) or "Action" in screen_text(app)
        app.screen.query_one("#action").value = f"dvclive:{metrics}"  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        assert links_of(store, "main") == []
        await press(app, pilot, "u")  # undo links it again
        assert [link.ref for link in links_of(store, "main")] == [f"dvclive:{metrics}"]


async def test_an_unreachable_tracker_is_said_once_and_the_board_goes_on(
        store: Store, mlflow_server: MlflowServer) -> None:
    import asyncio

    from tkanban.tui.app import TkanbanApp

    from .screen import screen_lines, screen_text
    from .test_tui import press, settle

    card = hypothesis(store)
    run_id = new_run(mlflow_server, "soon-gone", {"precision": 0.5})
    link_run(store, card, f"mlflow:{run_id}", author="ann", tracking_uri=mlflow_server.url)
    app = TkanbanApp(store, "main", "alice", sync_interval=0.3,
                     tracking_uri="http://127.0.0.1:1")  # nobody answers there
    async with app.run_test(size=(120, 35), notifications=True) as pilot:
        for _ in range(30):
            await asyncio.sleep(0.1)
            await settle(app, pilot)
            if app.syncer.syncs >= 3:
                break
        assert app.syncer.syncs >= 3
        assert screen_text(app).count("cannot be reached") == 1  # said once
        assert "experiment tracker unreachable" in screen_lines(app)[-1]
        await press(app, pilot, "L")  # the board goes on
        assert q.get_card(store, card).card.lane_slug == "test-hypothesis"
        app.syncer.tracking_uri = mlflow_server.url  # it answers again
        for _ in range(30):
            await asyncio.sleep(0.1)
            await settle(app, pilot)
            if run_entries(store, card):
                break
        assert len(run_entries(store, card)) == 1
        assert "answers again" in screen_text(app)


def test_export_import_keeps_the_runs(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                      ) -> None:
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"auc": 0.83}))
    ok(run_cli("add", "h", "--criteria", "auc > 0.8", db=db, user="ann"))
    ok(run_cli("link", "1", f"dvclive:{metrics}", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    exported = ok(run_cli("export", db=db))
    (runs,) = [board["runs"] for board in json.loads(exported)["boards"]]
    assert [(r["card_id"], r["ref"], json.loads(r["seen"])) for r in runs] == [
        (1, f"dvclive:{metrics}", {"auc": 0.83})]
    (tmp_path / "e.json").write_text(exported)
    copy = new_db()
    ok(run_cli("import", str(tmp_path / "e.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    assert "0 new entries" in ok(run_cli("sync", db=copy))  # it remembers what it saw


def test_the_retro_counts_runs_and_questions_outcomes(db: Path | str, tmp_path: Path) -> None:
    good, poor = tmp_path / "good.json", tmp_path / "poor.json"
    good.write_text(json.dumps({"auc": 0.85}))
    poor.write_text(json.dumps({"auc": 0.61}))
    for title, metrics in (("Weights help", good), ("Weather helps", poor)):
        card = ok(run_cli("add", title, "--criteria", "auc > 0.8", db=db, user="ann")).strip()
        ok(run_cli("link", card, f"dvclive:{metrics}", db=db, user="ann"))
    ok(run_cli("add", "No runs at all", "--criteria", "auc > 0.8", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    for card in ("1", "2", "3"):
        ok(run_cli("move", card, "done", "--outcome", "validated", db=db, user="ann"))
    data = json.loads(ok(run_cli("retro", "--format", "json", db=db)))
    found = {item["id"]: (item["runs"], item["runs_met_criteria"], item["agrees"])
             for item in data["learnings"]}
    assert found == {1: (1, True, True), 2: (1, False, False), 3: (0, None, None)}
    text = ok(run_cli("retro", db=db))
    assert "#2 Weather helps: closed **validated**, but its linked runs never met its " \
        "criteria" in text
    assert "(1 run, which never met its criteria)" in text and "(1 run)" in text
