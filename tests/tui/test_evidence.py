"""The evidence on the board: `D` closes into Done in one move, a hypothesis card carries its
criteria mark and a warning when its outcome goes against the evidence, and the pane compares
the card's runs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.helpers.board import SIZES, board, press, settle
from tests.helpers.mlflowserver import MlflowServer
from tests.helpers.runs import new_run
from tests.helpers.screen import screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.runs.sync import link_run, sync
from tkanban.core.storage.base import Store
from tkanban.tui.forms.outcome import OutcomeForm
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.confirm import ConfirmDialog


async def until(app, pilot, check) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        await settle(app, pilot)
        if check():
            return
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("size", SIZES)
async def test_D_closes_a_hypothesis_into_done_in_one_move(store: Store,
                                                           size: tuple[int, int]) -> None:
    card = ops.add_card(store, "main", "We believe features help", author="ann",
                        kind="hypothesis", criteria="accuracy > 0.9", lane="test-hypothesis")
    task = ops.add_card(store, "main", "Clean the labels", author="ann", lane="update-model").id
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l")
        assert app.board_screen.current_card.id == card.id
        await press(app, pilot, "D")
        assert isinstance(app.screen, OutcomeForm)
        await press(app, pilot, "down", "enter")  # invalidated
        await press(app, pilot, "tab")
        await pilot.press(*"no gain")
        await press(app, pilot, "ctrl+s")
        detail = q.get_card(store, card.id)
        assert (detail.card.lane_slug, detail.card.outcome) == ("done", "invalidated")
        assert [m.data["to"] for m in detail.moves] == ["done"]  # one move, lanes skipped
        await press(app, pilot, "h", "h")  # the focus followed the card into Done
        assert app.board_screen.current_card.id == task
        await press(app, pilot, "D")
        assert isinstance(app.screen, ConfirmDialog)
        assert "straight to Done" in screen_text(app)
        await press(app, pilot, "y")
        await until(app, pilot, lambda: q.get_card(store, task).card.lane_slug == "done")
        assert q.get_card(store, task).card.lane_slug == "done"
        await press(app, pilot, "u")  # undone like any change
        assert q.get_card(store, task).card.lane_slug == "update-model"


@pytest.mark.parametrize("size", SIZES)
async def test_a_card_shows_its_criteria_mark_and_an_outcome_against_it(
        store: Store, size: tuple[int, int]) -> None:
    met = ops.add_card(store, "main", "Met", author="ann", kind="hypothesis",
                       criteria="acc >= 0.9", lane="test-hypothesis").id
    ops.add_log(store, met, "first try", author="ann", metrics={"acc": 0.93})
    two = ops.add_card(store, "main", "Two of three", author="ann", kind="hypothesis",
                       criteria="acc >= 0.9 and f1 > 0.8 and loss < 0.1",
                       lane="review-hypothesis").id
    ops.add_log(store, two, "", author="ann", metrics={"acc": 0.95, "f1": 0.85, "loss": 0.3})
    async with board(store, size) as (app, pilot):
        await until(app, pilot, lambda: "acc≥0.9 ✓" in screen_text(app)
                    or size[0] < 100)
        text = screen_text(app)
        if size[0] >= 100:
            assert "acc≥0.9 ✓" in text and "2/3 ✗" in text
        await press(app, pilot, "l")  # the focused lane is wide at 80 columns too
        await until(app, pilot, lambda: "acc≥0.9 ✓" in screen_text(app))
        assert "acc≥0.9 ✓" in screen_text(app)
        assert all(len(line) <= size[0] for line in screen_lines(app))
        await press(app, pilot, "o")  # validated, against the evidence: a reason is asked
        assert "Evidence: acc >= 0.9 ✓" in screen_text(app)
    ops.move_card(store, two, "done", author="ann", outcome="validated",
                  reason="loss is measured wrong")
    async with board(store, size) as (app, pilot):
        await until(app, pilot, lambda: "⚠" in screen_text(app))
        assert any("⚠" in line and f"#{two}" in line for line in screen_lines(app))
        app.flows.detail(two)
        await until(app, pilot, lambda: isinstance(app.screen, CardScreen))
        text = screen_text(app)
        assert "⚠ outcome against evidence" in text and "loss < 0.1 (0.3" in text


async def test_the_outcome_form_asks_a_reason_against_the_evidence(store: Store) -> None:
    card = ops.add_card(store, "main", "Claimed", author="ann", kind="hypothesis",
                        criteria="acc >= 0.9", lane="test-hypothesis").id
    ops.add_log(store, card, "", author="ann", metrics={"acc": 0.7})
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "l", "o", "enter")  # validated
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, OutcomeForm)
        assert "does not bear out 'validated'" in screen_text(app)
        assert q.get_card(store, card).card.outcome is None
        app.screen.query_one("#reason").value = "the eval set leaked"  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        entry = q.get_card(store, card).entries[-1]
        assert entry.kind == "outcome" and entry.data["against_evidence"] == "the eval set leaked"


@pytest.mark.parametrize("size", SIZES)
async def test_the_pane_compares_runs_and_names_the_best(
        store: Store, mlflow_server: MlflowServer, size: tuple[int, int]) -> None:
    card = ops.add_card(store, "main", "Depth matters", author="ann", kind="hypothesis",
                        criteria="accuracy >= 0.9").id
    for name, accuracy, depth in (("deep", 0.913, "8"), ("shallow", 0.809, "4")):
        run = new_run(mlflow_server, name, {"accuracy": accuracy},
                      params={"depth": depth, "lr": "0.1"}, commit="0123456789abcdef",
                      steps={"accuracy": [0.5, 0.7]})
        link_run(store, card, f"mlflow:{run}", author="ann", tracking_uri=mlflow_server.url)
    sync(store, "main", tracking_uri=mlflow_server.url)
    async with board(store, size) as (app, pilot):
        app.flows.detail(card)
        await until(app, pilot, lambda: isinstance(app.screen, CardScreen))
        text = screen_text(app)
        assert "accuracy >= 0.9 (0.913, MLflow run deep)" in text
        assert "commit 0123456789" in text
        await press(app, pilot, "end")
        lines = screen_lines(app)
        for _ in range(3):  # the table's rows are at the end, its head a page up at 80×24
            await press(app, pilot, "pageup")
            lines += screen_lines(app)
        assert any("Params that differ" in line for line in lines)
        header = next(line for line in lines if "depth" in line and "commit" in line)
        assert "lr" not in header
        assert any("deep" in line and "8" in line for line in lines)


@pytest.mark.parametrize("size", SIZES)
async def test_g_pins_a_run_and_the_card_is_judged_on_it_alone(
        store: Store, tmp_path: Path, size: tuple[int, int]) -> None:
    card = ops.add_card(store, "main", "Pinned", author="ann", kind="hypothesis",
                        criteria="acc >= 0.9", lane="test-hypothesis").id
    for name, acc in (("strong", 0.95), ("weak", 0.8)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"acc": acc}))
        link_run(store, card, f"dvclive:{tmp_path / name}.json", author="ann")
    sync(store, "main")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "l")
        await until(app, pilot, lambda: "acc≥0.9 ✓" in screen_text(app))
        await press(app, pilot, "g")
        weak = next(link.ref for link in q.get_card(store, card).runs if "weak" in link.ref)
        app.screen.query_one("#action").value = "pin " + weak  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        verdict = q.get_card(store, card).verdicts()[0]
        assert (verdict.met, verdict.value, verdict.point.ref) == (False, 0.8, weak)
        await until(app, pilot, lambda: "acc≥0.9 ✗" in screen_text(app))
        assert "acc≥0.9 ✗" in screen_text(app)
        await press(app, pilot, "u")  # unpinned again
        assert q.get_card(store, card).verdicts()[0].met is True


async def test_the_marks_follow_a_new_weighing_of_the_evidence(store: Store,
                                                               tmp_path: Path) -> None:
    from tkanban.core.board.settings import set_board_setting

    folder = tmp_path / "run"
    (folder / "plots" / "metrics").mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"acc": 0.85}))
    (folder / "plots" / "metrics" / "acc.tsv").write_text("step\tacc\n0\t0.8\n1\t0.95\n2\t0.85\n")
    card = ops.add_card(store, "main", "Early stop", author="ann", kind="hypothesis",
                        criteria="acc >= 0.9", lane="test-hypothesis").id
    link_run(store, card, f"dvclive:{folder}", author="ann")
    sync(store, "main")
    async with board(store, (120, 35)) as (app, pilot):
        await until(app, pilot, lambda: "acc≥0.9 ✗" in screen_text(app))
        assert "acc≥0.9 ✗" in screen_text(app)
        set_board_setting(store, "main", "evidence", "best-step")  # a teammate's config
        await press(app, pilot, "r")
        await until(app, pilot, lambda: "acc≥0.9 ✓" in screen_text(app))
        assert "acc≥0.9 ✓" in screen_text(app)
