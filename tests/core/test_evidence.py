"""The evidence rule (pure) and the untrusted files and answers it is read from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tkanban.core.model.criteria import parse_criteria
from tkanban.core.model.evidence import (
    Point,
    RunDetail,
    RunEvidence,
    against,
    judge,
    mark,
    sparkline,
    thin,
)
from tkanban.core.runs.trackers import read_dvclive
from tkanban.core.transfer.format import parse_export


def run(ref: str, final: dict[str, float], history: dict[str, list[tuple[int, float]]]
        | None = None, at: float = 0.0, pinned: bool = False) -> RunEvidence:
    return RunEvidence(ref, ref, final, RunDetail(history or {}), at, pinned)


def test_each_direction_takes_its_best() -> None:
    criteria = parse_criteria("acc >= 0.9 and loss < 0.2 and n == 10")
    runs = [run("mlflow:a", {"acc": 0.913, "loss": 0.3, "n": 12}, at=1),
            run("mlflow:b", {"acc": 0.809, "loss": 0.15, "n": 9}, at=2)]
    verdicts = judge(criteria, runs, [])
    assert [(v.value, v.point.ref if v.point else None, v.met) for v in verdicts] == [
        (0.913, "mlflow:a", True), (0.15, "mlflow:b", True), (9, "mlflow:b", False)]
    assert mark(verdicts) == "2/3 ✗" and mark(verdicts[:1]) == "acc≥0.9 ✓"


def test_modes_pins_and_typed_values() -> None:
    criteria = parse_criteria("acc > 0.9")
    history = {"acc": [(0, 0.5), (1, 0.93), (2, 0.85)]}
    runs = [run("dvclive:a", {"acc": 0.85}, history, at=5)]
    assert judge(criteria, runs, [], "best")[0].met is False
    (step,) = judge(criteria, runs, [], "best-step")
    assert (step.met, step.value, step.point.step if step.point else None) == (True, 0.93, 1)
    typed = [("acc", Point(0.95, "logged by ann", at=1))]
    assert judge(criteria, runs, typed, "best")[0].value == 0.95
    assert judge(criteria, runs, typed, "last")[0].value == 0.85  # the run came later
    pinned = [run("dvclive:a", {"acc": 0.85}, at=5, pinned=True),
              run("dvclive:b", {"acc": 0.99}, at=6)]
    assert judge(criteria, pinned, typed)[0].value == 0.85  # the pinned run alone
    assert judge(criteria, [], [])[0].met is None


def test_outcomes_against_the_evidence() -> None:
    met = judge(parse_criteria("acc > 0.9"), [run("mlflow:a", {"acc": 0.95})], [])
    missed = judge(parse_criteria("acc > 0.9"), [run("mlflow:a", {"acc": 0.5})], [])
    unmeasured = judge(parse_criteria("acc > 0.9"), [], [])
    assert against("validated", missed) and against("invalidated", met)
    assert not against("validated", met) and not against("inconclusive", missed)
    assert not against("validated", unmeasured) and not against(None, missed)


def test_history_is_thinned_and_drawn() -> None:
    points = [(i, float(i)) for i in range(5000)]
    kept = thin(points, 1000)
    assert len(kept) == 1000 and kept[0] == (0, 0.0) and kept[-1] == (4999, 4999.0)
    assert sparkline([(0, 1.0), (1, 2.0), (2, 3.0)]) == "▁▅█"
    assert sparkline([(0, 1.0)]) == ""


def test_run_detail_reads_back_only_what_has_its_shape() -> None:
    detail = RunDetail({"acc": [(0, 0.5)]}, {"lr": "0.1"}, 10.0, 70.0, "abc", "")
    assert RunDetail.from_text(detail.to_text()) == detail and detail.seconds == 60
    hostile = json.dumps({"history": {"acc": [[0, "x"], [1, 0.5], "junk", [True, 1]],
                                      "f1": "not a list"},
                          "params": [1, 2], "started": "yesterday", "commit": "\x1b[31mx"})
    read = RunDetail.from_text(hostile)
    assert read.history == {"acc": [(1, 0.5)]} and read.params == {}
    assert read.started is None and "\x1b" not in read.commit
    assert RunDetail.from_text("[" * 100_000) == RunDetail()
    assert RunDetail.from_text("{not json") == RunDetail()


def dvclive(folder: Path, tsv: str | None) -> Path:
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"acc": 0.85}))
    if tsv is not None:
        (folder / "plots" / "metrics").mkdir(parents=True)
        (folder / "plots" / "metrics" / "acc.tsv").write_text(tsv)
    return folder


@pytest.mark.parametrize(("tsv", "history", "problem"), [
    ("timestamp\tstep\tacc\n1\t0\t0.5\n2\t1\t0.93\n", [(0, 0.5), (1, 0.93)], None),
    ("step\tacc\n0\tnan\n1\tx\n2\t0.9\n", [(2, 0.9)], "2 rows that are no numbers"),
    ("acc\n0.5\n", [], "no step column"),
    ("", [], None),
    (None, [], None),
])
def test_dvclive_history_files_are_read_bounded_and_checked(
        tmp_path: Path, tsv: str | None, history: list[tuple[int, float]],
        problem: str | None) -> None:
    state = read_dvclive(str(dvclive(tmp_path / "run", tsv)), keep={"acc"})
    assert state.detail.history.get("acc", []) == history
    assert state.metrics == {"acc": 0.85}  # a bad history never costs the run
    if problem:
        assert any(problem in line for line in state.problems)


def test_a_history_that_is_no_file_is_left_out(tmp_path: Path) -> None:
    folder = dvclive(tmp_path / "run", None)
    (folder / "plots" / "metrics").mkdir(parents=True)
    os.mkfifo(folder / "plots" / "metrics" / "acc.tsv")  # reading it would never end
    state = read_dvclive(str(folder), keep={"acc"})
    assert state.detail.history == {} and any("not a history file" in p for p in state.problems)


def test_an_export_with_hostile_settings_is_refused_naming_them() -> None:
    base = {"format": "tkanban-export", "format_version": 5, "boards": [
        {"name": "main", "created_at": 1.0, "lanes": [], "settings": {"shell": "rm -rf"}}]}
    with pytest.raises(Exception, match=r"settings.*unknown setting 'shell'"):
        parse_export(base)
    base["boards"][0]["settings"] = {"evidence": "median"}  # type: ignore[index]
    with pytest.raises(Exception, match="evidence is one of best, best-step, last"):
        parse_export(base)
