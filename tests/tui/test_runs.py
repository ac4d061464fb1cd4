"""Experiment runs in the board: linking and the background sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.board import press, settle
from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.runs import hypothesis, new_run, run_entries
from tests.helpers.screen import screen_lines, screen_text
from tkanban.core.board import reads as q
from tkanban.core.runs.links import links_of
from tkanban.core.runs.sync import link_run
from tkanban.core.storage.base import Store


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_the_board_links_and_syncs_runs_in_the_background(
        store: Store, tmp_path: Path, size: tuple[int, int]) -> None:
    import asyncio

    from tkanban.tui.app import TkanbanApp
    from tkanban.tui.screens.card import CardScreen


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
        assert [link.ref for link in links_of(store, "main")] == [
            "dvclive:metrics.json" if store.noun == "file" else f"dvclive:{metrics}"]

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
        (kept,) = [link.ref for link in links_of(store, "main")]
        app.screen.query_one("#action").value = kept  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        assert links_of(store, "main") == []
        await press(app, pilot, "u")  # undo links it again
        assert [link.ref for link in links_of(store, "main")] == [
            "dvclive:metrics.json" if store.noun == "file" else f"dvclive:{metrics}"]


async def test_an_unreachable_tracker_is_said_once_and_the_board_goes_on(
        store: Store, mlflow_server: MlflowServer) -> None:
    import asyncio

    from tkanban.tui.app import TkanbanApp


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
