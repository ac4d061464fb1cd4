"""A hypothesis judged on its evidence: each exit criterion against the best value the card's
evidence holds for it, naming where that value came from. Pure.

The evidence of a card is every run linked to it (its values as last synced and, when the board
says so, every step of their history) and every metric typed into its log. A run that is
unlinked is no evidence any more, whatever it wrote in the log; a pinned run is the only
evidence. Which value counts is the board's ``evidence`` setting:

* ``best`` (the default): the best final value of each run, or a typed value;
* ``best-step``: the best value at any step of any run's history, or a typed value;
* ``last``: the value written last, whatever it is (how a log is read without runs).

The best is the highest for ``>=`` and ``>``, the lowest for ``<=`` and ``<``, the nearest for
``==``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tkanban.core.model.criteria import Criterion, exact
from tkanban.core.model.text import LINE_MAX, from_outside

MODES = ("best", "best-step", "last")
DEFAULT_MODE = "best"
HISTORY_MAX = 1_000
"""Points of one metric's history kept per run (the latest, evenly thinned when longer)."""
PARAMS_MAX = 200
"""Params kept per run."""
SOURCES = {"mlflow": "MLflow run", "dvclive": "DVCLive"}


@dataclass(frozen=True)
class Point:
    """One value of one metric, with where it came from."""

    value: float
    source: str
    """As a person reads it: ``MLflow run bert-lr2e-5``, ``logged by ann``."""
    ref: str | None = None
    """The run's ref (``mlflow:…``, ``dvclive:…``); None for a typed value."""
    step: int | None = None
    """The step of the run's history it was read at (None: the run's final value)."""
    at: float = 0.0

    def where(self) -> str:
        return self.source + (f", step {self.step}" if self.step is not None else "")


@dataclass(frozen=True)
class Verdict:
    """A criterion judged on the evidence (``point`` None: nothing measured it)."""

    criterion: Criterion
    point: Point | None

    @property
    def value(self) -> float | None:
        return None if self.point is None else self.point.value

    @property
    def met(self) -> bool | None:
        return None if self.point is None else self.criterion.met_by(self.point.value)

    def to_json(self) -> dict[str, Any]:
        point = self.point
        return {"criterion": str(self.criterion), "value": self.value, "met": self.met,
                "source": None if point is None else point.source,
                "run": None if point is None else point.ref,
                "step": None if point is None else point.step}


@dataclass(frozen=True)
class RunDetail:
    """What a sync keeps of a run besides its latest metrics."""

    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """Each criterion metric's values by step, oldest first."""
    params: dict[str, str] = field(default_factory=dict)
    started: float | None = None
    ended: float | None = None
    commit: str = ""
    """The git commit the run was made from (``mlflow.source.git.commit``)."""
    server: str = ""
    """The MLflow server a run linked by its URL lives on."""

    def history_json(self) -> dict[str, list[list[float]]]:
        """The history as JSON has it: ``{"acc": [[step, value], …]}``."""
        return {k: [[s, v] for s, v in points] for k, points in self.history.items()}

    def to_text(self) -> str:
        data: dict[str, Any] = {}
        if self.history:
            data["history"] = self.history_json()
        if self.params:
            data["params"] = self.params
        for name in ("started", "ended", "commit", "server"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_text(cls, text: str | None) -> RunDetail:
        """Read back what ``to_text`` wrote; anything else (an old or hand-edited row) reads
        as far as it has the right shape."""
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        history: dict[str, list[tuple[int, float]]] = {}
        raw = data.get("history")
        for name, points in (raw.items() if isinstance(raw, dict) else ()):
            kept = [(int(p[0]), float(p[1])) for p in points if isinstance(p, list)
                    and len(p) == 2 and _is_number(p[0]) and _is_number(p[1])] \
                if isinstance(points, list) else []
            if kept:
                history[str(name)] = kept
        params = data.get("params")
        return cls(history,
                   {str(k): str(v) for k, v in params.items()} if isinstance(params, dict)
                   else {},
                   _time(data.get("started")), _time(data.get("ended")),
                   _text(data.get("commit")), _text(data.get("server")))

    @property
    def seconds(self) -> float | None:
        """How long the run took (None while unknown)."""
        if self.started is None or self.ended is None or self.ended < self.started:
            return None
        return self.ended - self.started


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)


def _time(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _text(value: Any) -> str:
    return from_outside(value, LINE_MAX) if isinstance(value, str) else ""


def thin(points: Sequence[tuple[int, float]], most: int = HISTORY_MAX) -> list[tuple[int, float]]:
    """At most ``most`` points of a history, spread evenly, the first and last kept (a run
    logged every step of a long training still fits; its best step may be thinned out)."""
    if len(points) <= most:
        return list(points)
    stride = (len(points) - 1) / (most - 1)
    return [points[round(i * stride)] for i in range(most)]


def best(criterion: Criterion, points: Iterable[Point]) -> Point | None:
    """The point that speaks best for the criterion (the earliest of equals)."""
    if criterion.op in (">=", ">"):
        def rank(p: Point) -> float:
            return -p.value
    elif criterion.op in ("<=", "<"):
        def rank(p: Point) -> float:
            return p.value
    else:
        def rank(p: Point) -> float:
            return abs(p.value - criterion.target)
    chosen = None
    for point in points:
        if chosen is None or rank(point) < rank(chosen):
            chosen = point
    return chosen


@dataclass(frozen=True)
class RunEvidence:
    """A linked run as evidence: its final values and their history."""

    ref: str
    name: str
    metrics: dict[str, float]
    detail: RunDetail
    at: float
    pinned: bool = False

    @property
    def label(self) -> str:
        return f"{SOURCES.get(self.ref.split(':', 1)[0], 'run')} {self.name or self.ref}"

    def points(self, metric: str, mode: str) -> list[Point]:
        out = []
        if mode == "best-step":
            out += [Point(v, self.label, self.ref, step, self.at)
                    for step, v in self.detail.history.get(metric, [])]
        if metric in self.metrics:
            out.append(Point(self.metrics[metric], self.label, self.ref, None, self.at))
        return out


def judge(criteria: Sequence[Criterion], runs: Sequence[RunEvidence],
          typed: Sequence[tuple[str, Point]], mode: str = DEFAULT_MODE) -> list[Verdict]:
    """Each criterion against the card's evidence: its runs (the pinned one alone, if one is)
    and the ``(metric, point)`` values typed into its log, oldest first."""
    pinned = [run for run in runs if run.pinned]
    if pinned:
        runs, typed = pinned[:1], []
    verdicts = []
    for criterion in criteria:
        points = [p for run in runs for p in run.points(criterion.metric, mode)]
        points += [p for metric, p in typed if metric == criterion.metric]
        if mode == "last":
            chosen = max(points, key=lambda p: p.at, default=None) if points else None
        else:
            chosen = best(criterion, points)
        verdicts.append(Verdict(criterion, chosen))
    return verdicts


def all_met(verdicts: Sequence[Verdict]) -> bool:
    """True when there are criteria and every one is met."""
    return bool(verdicts) and all(v.met for v in verdicts)


def against(outcome: str | None, verdicts: Sequence[Verdict]) -> bool:
    """Whether a recorded outcome says the opposite of the evidence: validated while a
    criterion is not met, or invalidated while every one is (unmeasured criteria and an
    inconclusive outcome contradict nothing)."""
    if not verdicts or outcome not in ("validated", "invalidated"):
        return False
    if outcome == "validated":
        return any(v.met is False for v in verdicts)
    return all_met(verdicts)


def mark(verdicts: Sequence[Verdict]) -> str:
    """The compact mark a card carries on the board: ``acc≥0.9 ✓`` for one criterion,
    ``2/3 ✓`` for several (✗ once any is not met, · while any is unmeasured)."""
    if not verdicts:
        return ""
    met = sum(1 for v in verdicts if v.met)
    sign = "✓" if met == len(verdicts) else (
        "✗" if any(v.met is False for v in verdicts) else "·")
    if len(verdicts) == 1:
        c = verdicts[0].criterion
        op = {">=": "≥", "<=": "≤", "==": "="}.get(c.op, c.op)
        return f"{c.metric}{op}{exact(c.target)} {sign}"
    return f"{met}/{len(verdicts)} {sign}"


def sparkline(points: Sequence[tuple[int, float]], width: int = 16) -> str:
    """A metric's history as a tiny trend (``▁▂▅▇``), the last ``width`` points."""
    values = [v for _, v in points][-width:]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    bars = "▁▂▃▄▅▆▇█"
    if high == low:
        return bars[3] * len(values)
    return "".join(bars[round((v - low) / (high - low) * (len(bars) - 1))] for v in values)


AGAINST = "⚠ outcome against evidence"
"""What a card, its pane and the retro say of an outcome its evidence does not bear out."""
MODE_WORDS = {"best": "best value (each run's final one)", "best-step": "best step of any run",
              "last": "value written last"}
