"""The monthly retro's figures, against a board with a hand-computed history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers.cli import fails, ok, run_cli
from tests.helpers.clock import StepClock
from tests.helpers.history import DAY, HOUR
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.blocked import block_card, unblock_card
from tkanban.core.board.phases import phase_refs
from tkanban.core.errors import ValidationError
from tkanban.core.retro.figures import compute, parse_month, percentile
from tkanban.core.storage.base import Store


def test_retro_counts_blocked_time_and_labels(store: Store, clock: StepClock) -> None:
    clock.now = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    card = ops.add_card(store, "main", "Blocked a while", author="ann", labels=["data"])
    ops.move_card(store, card.id, "test-hypothesis", author="ann")  # the clock starts
    clock.advance(1 * HOUR)
    block_card(store, card.id, "GPU slot", author="ann")
    clock.advance(3 * HOUR)
    unblock_card(store, card.id, author="ann")
    clock.advance(2 * HOUR)
    ops.move_card(store, card.id, "done", author="ann")  # cycle 6 h, 3 h of it blocked
    other = ops.add_card(store, "main", "Still blocked", author="ann")
    block_card(store, other.id, "client", author="ann")
    clock.advance(5 * HOUR)
    cards, lanes = q.history(store, "main")
    retro = compute(cards, lanes, phase_refs(store, "main"), 2026, 11, clock())
    data = retro.to_json()
    assert data["cycle_time_seconds"]["median"] == 6 * HOUR
    assert data["cycle_time_without_blocked_seconds"]["median"] == 3 * HOUR
    assert data["blocked"] == [
        {"id": other.id, "title": "Still blocked", "seconds": 5 * HOUR, "still": True},
        {"id": card.id, "title": "Blocked a while", "seconds": 3 * HOUR, "still": False}]
    assert data["blocked_total_seconds"] == 8 * HOUR
    assert data["labels_closed"] == {"data": 1}
    text = retro.to_markdown()
    assert "blocked this month: 8h" in text and "(still blocked)" in text


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


@pytest.mark.file_only
def test_the_retro_counts_runs_and_questions_outcomes(db: Path | str, tmp_path: Path) -> None:
    good, poor = tmp_path / "good.json", tmp_path / "poor.json"
    good.write_text(json.dumps({"auc": 0.85}))
    poor.write_text(json.dumps({"auc": 0.61}))
    for title, metrics in (("Weights help", good), ("Weather helps", poor)):
        card = ok(run_cli("add", title, "--criteria", "auc > 0.8", db=db, user="ann")).strip()
        ok(run_cli("link", card, f"dvclive:{metrics}", db=db, user="ann"))
    ok(run_cli("add", "No runs at all", "--criteria", "auc > 0.8", db=db, user="ann"))
    ok(run_cli("sync", db=db))
    refused = fails(run_cli("move", "2", "done", "--outcome", "validated", db=db, user="ann"),
                    "#2's evidence does not bear out 'validated'")
    assert "say why with a reason" in refused
    for card in ("1", "2", "3"):
        ok(run_cli("move", card, "done", "--outcome", "validated", "--reason",
                   "the weather data was late", db=db, user="ann"))
    data = json.loads(ok(run_cli("retro", "--format", "json", db=db)))
    found = {item["id"]: (item["runs"], item["runs_met_criteria"], item["agrees"])
             for item in data["learnings"]}
    assert found == {1: (1, True, True), 2: (1, False, False), 3: (0, None, None)}
    (verdict,) = next(i for i in data["learnings"] if i["id"] == 2)["verdicts"]
    kept = "dvclive:poor.json" if isinstance(db, Path) else f"dvclive:{poor}"  # beside the file
    assert (verdict["value"], verdict["met"], verdict["run"]) == (0.61, False, kept)
    text = ok(run_cli("retro", db=db))
    assert "⚠ #2 Weather helps: closed **validated**, but its evidence does not meet its " \
        "criteria: auc &gt; 0.8: 0.61 (DVCLive" in text
    assert "(1 run, which do not meet its criteria)" in text and "(1 run)" in text
