"""A realistic example board: hypothesis stories, tasks, logs, mentions, time boxes, labels,
a blocked card and relations (a hypothesis grown out of an invalidated one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.blocked import block_card
from tkanban.core.board.relations import relate
from tkanban.core.errors import ValidationError
from tkanban.core.model.timebox import Clock, parse_duration
from tkanban.core.runs.sync import link_run, sync_one
from tkanban.core.storage.base import Store

HOUR, DAY = 3600, 86400

# (title, kind, criteria, timebox, assignee, author, path of (lane, hours ago), logs, outcome)
_CARDS: list[dict] = [
    dict(title="We believe a fine-tuned DistilBERT will identify cases with precision > 0.95 "
         "and recall > 0.7", kind="hypothesis", criteria="precision > 0.95 and recall > 0.7",
         timebox="1w", assignee="alice", author="priya",
         path=[("test-hypothesis", 50)],
         logs=[(48, "alice", "Baseline TF-IDF + logistic regression on the March sample.",
                {"precision": 0.88, "recall": 0.61}),
               (20, "alice", "DistilBERT, 3 epochs, lr 2e-5. Recall jumps; precision close. "
                "@bob can you check the label noise in the 'other' class?",
                {"precision": 0.93, "recall": 0.74}),
               (3, "bob", "Relabelled 212 'other' cases; 9% were wrong. @alice rerun?", {})]),
    dict(title="We believe shap values will explain the top-3 drivers of each prediction to "
         "the claims team", kind="hypothesis", criteria="agreement >= 0.8", timebox="3d",
         assignee="bob", author="priya", path=[("test-hypothesis", 80)],
         logs=[(70, "bob", "TreeExplainer on the gradient-boosted model; 40 cases reviewed "
                "with @carol from claims.", {"agreement": 0.65}),
               (26, "carol", "Drivers make sense for fraud cases, not for late filing.", {})]),
    dict(title="We believe adding weather features will lift delivery-time AUC above 0.80",
         kind="hypothesis", criteria="auc > 0.80", timebox="3d", assignee="dave",
         author="dave", path=[("test-hypothesis", 100), ("done", 30)],
         logs=[(90, "dave", "Joined hourly weather by depot.", {"auc": 0.781}),
               (40, "dave", "No gain over the baseline; rain is already in the traffic "
                "signal.", {"auc": 0.779})],
         outcome=("invalidated", "weather adds nothing beyond traffic; drop it")),
    dict(title="We believe class weighting will bring recall on rare defects to 0.6",
         kind="hypothesis", criteria="recall >= 0.6", timebox="2w", assignee="alice",
         author="alice", path=[("test-hypothesis", 200), ("review-hypothesis", 150),
                               ("update-model", 120), ("review-model", 100), ("done", 90)],
         logs=[(180, "alice", "Weights 1:12 from class frequencies.", {"recall": 0.64}),
               (140, "bob", "Reviewed the notebook, numbers reproduce.", {})],
         outcome=("validated", "recall 0.64 with precision unchanged; shipped in v2.3")),
    dict(title="Data ingestion pipeline for the claims warehouse", kind="task", timebox="1w",
         assignee="erin", author="erin", path=[("update-model", 60)],
         logs=[(55, "erin", "Airflow DAG reads the nightly dump; schema checks with "
                "pandera.", {}),
               (10, "erin", "Backfill of 2024 done, 1.2M rows. @dave the features table "
                "is ready.", {})]),
    dict(title="Prediction API (FastAPI) behind the claims portal", kind="task", timebox="1d",
         assignee="dave", author="priya", path=[("review-model", 9)],
         logs=[(8, "dave", "Endpoint /score with pydantic models; p95 41 ms locally.", {})]),
    dict(title="Streamlit demo for the product owner", kind="task", timebox="1d",
         assignee="carol", author="priya", path=[],
         logs=[(30, "priya", "For the go/no-go on Friday; @carol show 10 real cases.", {})]),
    dict(title="We believe active learning halves the labelling needed for 0.9 F1",
         kind="hypothesis", criteria="f1 >= 0.9", timebox="2w", assignee=None,
         author="priya", path=[], logs=[]),
    dict(title="Review the label guide with the claims team", kind="task", timebox="2d",
         assignee="bob", author="bob", path=[("review-hypothesis", 26)],
         logs=[(25, "bob", "Draft v3 shared; waiting for comments from @priya.", {})]),
    dict(title="We believe depot congestion features will lift delivery-time AUC above 0.80",
         kind="hypothesis", criteria="auc > 0.80", timebox="3d", assignee="dave",
         author="dave", path=[], logs=[(28, "dave", "Weather failed; congestion at the depot "
                                       "is what the drivers talk about.", {})]),
]
LABELS = {0: ["claims", "nlp"], 1: ["claims", "explain"], 2: ["delivery"], 3: ["defects"],
          4: ["data"], 5: ["serving"], 6: ["demo"], 7: ["labelling"],
          8: ["claims", "labelling"], 9: ["delivery"]}
"""Labels of the demo cards, by their place in ``_CARDS``."""
RELATIONS = [(6, "blocked-by", 5), (9, "follows", 2), (7, "follows", 0),
             (7, "relates-to", 8)]
"""(card, relation, card) between demo cards, by their place in ``_CARDS``."""
BLOCKED = {8: "comments from the claims team"}
DEMO_RUNS = Path(__file__).resolve().parent.parent / "demo_runs"
RUNS = {0: "distilbert-lr2e-5", 1: "shap-treeexplainer"}
"""DVCLive output shipped with tkanban, linked to demo cards by their place in ``_CARDS``."""
"""Blocked demo cards, by their place in ``_CARDS``, and why."""


def fill_demo(store: Store, board: str) -> int:
    """Fill ``board`` with the demo cards, back-dating their history. Returns the card count."""
    if q.list_cards(store, board, include_archived=True):
        raise ValidationError(
            f"board {board!r} already has cards; run the demo on a new board "
            "(--board demo) or a new file (--db demo.db)"
        )
    real_clock = store.clock
    now = real_clock()
    events: list[tuple[float, int, str, tuple]] = []
    ids: dict[int, int] = {}
    try:
        by_start = sorted(_CARDS, key=lambda spec: -_first_hours(spec))
        for order, spec in enumerate(by_start):
            store.clock = _fixed(now - _first_hours(spec) * HOUR)
            card = ops.add_card(store, board, spec["title"], author=spec["author"],
                                kind=spec["kind"], criteria=spec.get("criteria", ""),
                                timebox_seconds=parse_duration(spec["timebox"]),
                                assignee=spec["assignee"],
                                labels=LABELS.get(_CARDS.index(spec), []))
            ids[_CARDS.index(spec)] = card.id
            outcome, note = spec.get("outcome", (None, None))
            mover = spec["assignee"] or "priya"
            for lane, hours in spec["path"]:
                done = lane == "done"
                events.append((hours, order, "move", (card.id, lane, mover,
                                                      outcome if done else None,
                                                      note if done else None)))
            for hours, author, text, metrics in spec["logs"]:
                events.append((hours, order, "log", (card.id, author, text, metrics)))
        for hours, _, what, payload in sorted(events, key=lambda e: (-e[0], e[1])):
            store.clock = _fixed(now - hours * HOUR)
            if what == "log":
                card_id, author, text, metrics = payload
                ops.add_log(store, card_id, text, author=author, metrics=metrics)
            else:
                card_id, lane, mover, outcome, note = payload
                ops.move_card(store, card_id, lane, author=mover, outcome=outcome,
                              conclusion=note)
        store.clock = _fixed(now - 2 * HOUR)
        for first, said, second in RELATIONS:
            relate(store, ids[first], said, ids[second], author="priya")
        for index, reason in BLOCKED.items():
            block_card(store, ids[index], reason, author="bob")
        for index, folder in RUNS.items():
            link = link_run(store, ids[index], f"dvclive:{DEMO_RUNS / folder}",
                            author=_CARDS[index]["assignee"] or "priya")
            sync_one(store, link)
    finally:
        store.clock = real_clock
    ops.set_wip_limit(store, board, "test-hypothesis", 2)
    return len(_CARDS)


def _fixed(moment: float) -> Clock:
    """A clock stopped at ``moment``."""
    return lambda: moment


def _first_hours(spec: dict[str, Any]) -> float:
    """How many hours ago the card was written: a little before its first event."""
    return float(max([h for _, h in spec["path"]] + [h for h, *_ in spec["logs"]] + [1]) + 2)
