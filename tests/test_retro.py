"""The monthly retro on a board built with known timestamps; figures computed by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.phases import end_phase, phase_refs, start_phase
from tkanban.core.errors import ValidationError
from tkanban.core.retro.figures import compute, parse_month, percentile
from tkanban.core.storage.base import Store

from .conftest import StepClock, run_cli

DAY = 86400
T0 = datetime(2026, 11, 2, tzinfo=UTC).timestamp()  # a Monday, ISO week 45


def at(clock: StepClock, days: float) -> None:
    clock.now = T0 + days * DAY


@pytest.fixture
def history_board(store: Store, clock: StepClock) -> Store:
    def hyp(title: str, box_days: float, days: float) -> int:
        at(clock, days)
        return ops.add_card(store, "main", title, author="ann", kind="hypothesis",
                            timebox_seconds=int(box_days * DAY)).id

    h0 = hyp("october", 3, -5)
    at(clock, -4)
    ops.move_card(store, h0, "test-hypothesis", author="ann")
    at(clock, -3)
    ops.move_card(store, h0, "done", author="ann", outcome="validated", conclusion="c0")

    h1, h2, h3 = hyp("H1", 2, 0), hyp("H2", 1, 0), hyp("H3", 3, 0)
    ops.set_wip_limit(store, "main", "test-hypothesis", 1)
    at(clock, 0)
    start_phase(store, "main", "PoC", 3 * DAY, "continue if AUC > 0.80", author="po")
    at(clock, 1)
    ops.move_card(store, h1, "test-hypothesis", author="ann")
    ops.move_card(store, h2, "test-hypothesis", author="ann")
    at(clock, 2)
    ops.move_card(store, h1, "done", author="ann", outcome="validated", conclusion="c1")
    ops.move_card(store, h2, "review-hypothesis", author="ann")
    ops.move_card(store, h3, "test-hypothesis", author="ann")
    at(clock, 3)
    end_phase(store, "main", "go", "AUC 0.83", author="po")
    at(clock, 4)
    ops.move_card(store, h2, "done", author="ann", outcome="invalidated", conclusion="c2")
    at(clock, 5)
    ops.set_timebox(store, h3, 4 * DAY, author="bob", reason="data late")
    at(clock, 7)
    ops.move_card(store, h3, "done", author="ann", outcome="validated", conclusion="c3")
    at(clock, 8)
    t1 = ops.add_card(store, "main", "T1", author="ann", timebox_seconds=DAY).id
    at(clock, 9)
    ops.move_card(store, t1, "update-model", author="ann")
    at(clock, 12)
    return store


def test_hand_computed_figures(history_board: Store, clock: StepClock) -> None:
    cards, lanes = q.history(history_board)
    retro = compute(cards, lanes, phase_refs(history_board, "main"), 2026, 11, clock.now)
    data = retro.to_json()
    assert data["hypotheses"] == {"validated": 2, "invalidated": 1, "inconclusive": 0}
    assert [(x["title"], x["conclusion"]) for x in data["learnings"]] == [
        ("H1", "c1"), ("H2", "c2"), ("H3", "c3")]
    assert data["tasks_done"] == 0
    assert data["cycle_time_seconds"] == {"median": 3 * DAY, "p85": pytest.approx(4.4 * DAY)}
    assert data["finished_in_timebox_share"] == pytest.approx(1 / 3)
    assert data["total_overrun_seconds"] == 3 * DAY  # H2 2d over a 1d box, H3 1d over 4d
    assert [(e["title"], e["reason"], e["author"]) for e in data["extensions"]] == [
        ("H3", "data late", "bob")]
    lane_days = {k: v / DAY for k, v in data["lane_time_seconds"].items()}
    assert lane_days == {"todo": 5, "test-hypothesis": 7, "review-hypothesis": 2,
                         "update-model": 3, "review-model": 0, "done": 10 + 8 + 5 + 13}
    weeks = {w["week"]: w["done"] for w in data["throughput_per_week"]}
    assert weeks["2026-W45"] == 2 and weeks["2026-W46"] == 1 and sum(weeks.values()) == 3
    assert [(w["title"], w["lane"], w["age_seconds"] / DAY, w["over_box"])
            for w in data["wip"]] == [("T1", "update-model", 3, True)]
    assert [(p["name"], p["decision"], p["note"]) for p in data["phase_decisions"]] == [
        ("PoC", "go", "AUC 0.83")]
    assert data["wip_limit_exceeded_days"] == {"test-hypothesis": 1}
    flow = data["cumulative_flow"]
    assert len(flow["days"]) == 13 and flow["days"][0] == "2026-11-01"
    assert flow["lanes"]["done"][:5] == [1, 1, 1, 2, 2]
    assert flow["lanes"]["test-hypothesis"][:4] == [0, 0, 2, 1]


def test_october_is_separate(history_board: Store, clock: StepClock) -> None:
    cards, lanes = q.history(history_board)
    october = compute(cards, lanes, [], 2026, 10, clock.now).to_json()
    assert october["hypotheses"]["validated"] == 1
    assert october["learnings"][0]["conclusion"] == "c0"
    assert october["cycle_time_seconds"]["median"] == DAY


def test_markdown_report(history_board: Store, clock: StepClock) -> None:
    cards, lanes = q.history(history_board)
    text = compute(cards, lanes, [], 2026, 11, clock.now).to_markdown()
    for line in ["2 validated, 1 invalidated", "#2 H1: c1", "H2: c2", "cycle time 1d",
                 "median 3d, 85th percentile 4d 9h 36m", "data late", "longer than its box",
                 "```", "█ Done"]:
        assert line in text, line


def test_percentile_and_month() -> None:
    assert percentile([], 85) is None
    assert percentile([5.0], 85) == 5.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert parse_month("2026-02") == (2026, 2)
    with pytest.raises(ValidationError):
        parse_month("Feb 2026")


def test_retro_from_the_command_line(db: Path | str) -> None:
    ids = [run_cli("add", f"We believe {n}", "--kind", "hypothesis", db=db).stdout.strip()
           for n in ("one", "two", "three")]
    for card_id, outcome in zip(ids, ["validated", "validated", "invalidated"], strict=True):
        run_cli("move", card_id, "2", db=db)
        result = run_cli("move", card_id, "done", "--outcome", outcome, "--note",
                         f"learned {card_id}", db=db)
        assert result.returncode == 0, result.stderr
    data = json.loads(run_cli("retro", "--format", "json", db=db).stdout)
    assert data["hypotheses"]["validated"] == 2 and data["hypotheses"]["invalidated"] == 1
    text = run_cli("retro", db=db).stdout
    for card_id in ids:
        assert f"learned {card_id}" in text
    assert "cycle time" in text
    bad = run_cli("retro", "--month", "13/2026", db=db)
    assert bad.returncode == 1 and "bad month" in bad.stderr
