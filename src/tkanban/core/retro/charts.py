"""The retro's charts as data: what each chart draws, taken from the retro's JSON (so a chart
and ``tkanban retro --format json`` never disagree). The board draws them in the terminal
(``tui.charts``), the HTML report as SVG (``report``). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HOUR = 3600.0


@dataclass(frozen=True)
class Point:
    """A closed card in the cycle-time scatter."""

    x: int
    """The day of the month it was closed."""
    y: float
    """Its cycle time in hours."""
    card_id: int
    title: str
    closed: str
    note: str = ""
    """What the list under the chart says of it (``120.0 h``, ``2026-W46``)."""


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str
    """``stack`` (stacked bars), ``bars``, ``scatter``, ``hbars`` or ``groups``."""
    labels: list[str]
    series: dict[str, list[float]]
    unit: str
    empty_text: str
    points: list[Point] = field(default_factory=list)
    rules: dict[str, float] = field(default_factory=dict)
    """Horizontal lines (the scatter's median and 85th percentile), in ``unit``."""

    @property
    def empty(self) -> bool:
        if self.kind == "scatter":
            return not self.points
        return not any(v for values in self.series.values() for v in values)


def charts(data: dict[str, Any], lane_names: dict[str, str]) -> list[Chart]:
    """The five charts of a retro, from its JSON (``Retro.to_json``)."""
    month = data["month"]
    flow = data["cumulative_flow"]
    cfd = Chart(
        "cfd", "Cumulative flow (cards in each lane, per day)", "stack",
        [day[5:] for day in flow["days"]],
        {lane_names.get(slug, slug): [float(n) for n in counts]
         for slug, counts in reversed(list(flow["lanes"].items()))},
        "cards", f"No cards on the board in {month}: no flow to draw")
    weeks = data["throughput_per_week"]
    throughput = Chart(
        "throughput", "Throughput (cards closed per week)", "bars",
        [w["week"] for w in weeks], {"closed": [float(w["done"]) for w in weeks]}, "cards",
        f"Nothing closed in {month}: no throughput to draw",
        [Point(_week_index(weeks, item["closed"]), 1.0, item["id"], item["title"],
               item["closed"], _week(item["closed"])) for item in data["closed"]])
    points = [Point(int(item["closed"][8:10]), item["cycle_seconds"] / HOUR, item["id"],
                    item["title"], item["closed"], f"{item['cycle_seconds'] / HOUR:.1f} h")
              for item in data["closed"] if item["cycle_seconds"] is not None]
    cycle_times = data["cycle_time_seconds"]
    rules = {name: seconds / HOUR for name, seconds in
             (("median", cycle_times["median"]), ("85th percentile", cycle_times["p85"]))
             if seconds is not None}
    cycle = Chart("cycle", "Cycle time per closed card (hours; day of the month closed)",
                  "scatter", [], {}, "hours", f"No card closed in {month}: no cycle times",
                  points, rules)
    lane_time = data["lane_time_seconds"]
    lanes = Chart(
        "lanes", "Time spent in each lane (hours, all cards)", "hbars",
        [lane_names.get(slug, slug) for slug in lane_time],
        {"hours": [seconds / HOUR for seconds in lane_time.values()]}, "hours",
        f"No card spent time in a lane in {month}")
    months = data["hypotheses_by_month"]
    outcomes = Chart(
        "outcomes", "Hypotheses closed per month, by outcome", "groups",
        [m["month"] for m in months],
        {outcome: [float(m[outcome]) for m in months]
         for outcome in ("validated", "invalidated", "inconclusive")}, "hypotheses",
        "No hypothesis closed in the last six months")
    return [cfd, throughput, cycle, lanes, outcomes]


def _week(closed: str) -> str:
    from datetime import date

    year, week, _ = date.fromisoformat(closed[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def _week_index(weeks: list[dict[str, Any]], closed: str) -> int:
    names = [w["week"] for w in weeks]
    return names.index(_week(closed)) if _week(closed) in names else 0
