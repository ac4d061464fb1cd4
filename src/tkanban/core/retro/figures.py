"""The monthly retro: flow figures and learnings from the board's own history. Pure.

Months are calendar months in UTC. A card *closes* in a month when it last entered Done in that
month (and is still there); its cycle time runs from its clock start to that moment. Lane times,
the cumulative flow and WIP come from the move history in the research logs.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import OUTCOMES
from tkanban.core.model.evidence import against
from tkanban.core.model.records import DONE, TODO, CardHistory, LaneRef, PhaseRef
from tkanban.core.model.text import markdown, plural
from tkanban.core.model.timebox import format_duration, iso

DAY = 86400.0


def parse_month(text: str) -> tuple[int, int]:
    try:
        parsed = datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        raise ValidationError(f"bad month {text!r}: write YYYY-MM, e.g. 2026-11") from None
    return parsed.year, parsed.month


def month_bounds(year: int, month: int) -> tuple[float, float]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start.timestamp(), end.timestamp()


def _utc_date(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def percentile(values: list[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, 'inclusive')."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def lane_at(card: CardHistory, moment: float) -> str | None:
    """The lane a card was in at ``moment`` (None before it existed or once archived)."""
    if card.archived_at is not None and moment >= card.archived_at:
        return None
    current = None
    for at, slug in card.visits:
        if at > moment:
            break
        current = slug
    return current


def lane_intervals(card: CardHistory, until: float) -> list[tuple[str, float, float]]:
    """(lane, from, to) spans the card spent in each lane up to ``until``."""
    end_of_life = min(until, card.archived_at) if card.archived_at is not None else until
    spans = []
    for i, (at, slug) in enumerate(card.visits):
        nxt = card.visits[i + 1][0] if i + 1 < len(card.visits) else end_of_life
        nxt = min(nxt, end_of_life)
        if nxt > at:
            spans.append((slug, at, nxt))
    return spans


def blocked_spans(card: CardHistory, until: float) -> list[tuple[float, float]]:
    """(from, to) of each time the card was blocked; a block still on ends at ``until``."""
    spans: list[tuple[float, float]] = []
    since: float | None = None
    for at, kind in card.blocks:
        if kind == "block" and since is None:
            since = at
        elif kind == "unblock" and since is not None:
            spans.append((since, at))
            since = None
    if since is not None and until > since:
        spans.append((since, until))
    return spans


def blocked_within(card: CardHistory, begin: float, end: float) -> float:
    """Seconds the card was blocked between ``begin`` and ``end``."""
    return sum(max(0.0, min(to, end) - max(since, begin))
               for since, to in blocked_spans(card, end))


@dataclass
class Retro:
    """The month's figures; ``to_json`` and ``to_markdown`` present them."""

    month: str
    now: float
    lanes: list[LaneRef]
    hypotheses: dict[str, int]
    learnings: list[dict[str, Any]]
    tasks_done: int
    closed: list[dict[str, Any]]
    in_box_share: float | None
    total_overrun_seconds: float
    extensions: list[dict[str, Any]]
    cycle_median_seconds: float | None
    cycle_p85_seconds: float | None
    lane_seconds: dict[str, float]
    throughput: list[dict[str, Any]]
    wip: list[dict[str, Any]]
    phases: list[dict[str, Any]]
    wip_exceeded_days: dict[str, int]
    cfd_days: list[str]
    cfd: dict[str, list[int]]
    blocked: list[dict[str, Any]]
    blocked_total_seconds: float
    unblocked_cycle_median_seconds: float | None
    unblocked_cycle_p85_seconds: float | None
    labels: dict[str, int]
    by_month: list[dict[str, Any]]
    """Hypotheses closed by outcome in each of the six months up to this one."""

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "generated": iso(self.now),
            "hypotheses_closed": sum(self.hypotheses.values()),
            "hypotheses": self.hypotheses,
            "learnings": self.learnings,
            "tasks_done": self.tasks_done,
            "closed": self.closed,
            "finished_in_timebox_share": self.in_box_share,
            "total_overrun_seconds": self.total_overrun_seconds,
            "extensions": self.extensions,
            "cycle_time_seconds": {"median": self.cycle_median_seconds,
                                   "p85": self.cycle_p85_seconds},
            "cycle_time_without_blocked_seconds": {"median": self.unblocked_cycle_median_seconds,
                                                   "p85": self.unblocked_cycle_p85_seconds},
            "blocked": self.blocked,
            "blocked_total_seconds": self.blocked_total_seconds,
            "labels_closed": self.labels,
            "lane_time_seconds": self.lane_seconds,
            "throughput_per_week": self.throughput,
            "wip": self.wip,
            "phase_decisions": self.phases,
            "wip_limit_exceeded_days": self.wip_exceeded_days,
            "cumulative_flow": {"days": self.cfd_days, "lanes": self.cfd},
            "hypotheses_by_month": self.by_month,
        }

    def to_markdown(self, width: int = 60, *, escape: bool = True) -> str:
        """The report as Markdown, user text escaped (``escape=False``: as plain lines, for a
        screen that shows user text literally itself)."""
        md = markdown if escape else _one_block
        names = {lane.slug: md(lane.name) for lane in self.lanes}
        lines = [f"# Retro {self.month}", ""]
        total = sum(self.hypotheses.values())
        lines += ["## Hypotheses", "",
                  f"{total} closed: " + ", ".join(f"{n} {o}" for o, n in self.hypotheses.items()),
                  ""]
        if self.learnings:
            lines += ["### Learnings", ""]
            for item in self.learnings:
                conclusion = md(item["conclusion"], indent="  ") or "(no conclusion written)"
                runs = "" if not item["runs"] else f" ({plural(item['runs'], 'run')}" + (
                    "" if item["agrees"] is not False else
                    ", which do not meet its criteria" if item["outcome"] == "validated" else
                    ", which meet its criteria") + ")"
                lines.append(f"- **{item['outcome']}** #{item['id']} {md(item['title'])}: "
                             f"{conclusion}{runs}")
            lines.append("")
        odd = [item for item in self.learnings if item["agrees"] is False]
        if odd:
            lines += ["### Outcomes their runs do not bear out", ""]
            lines += [f"- ⚠ #{item['id']} {md(item['title'])}: closed **{item['outcome']}**, "
                      "but " + ("its evidence does not meet its criteria" if item["outcome"] ==
                                "validated" else "its evidence meets its criteria")
                      + ": " + "; ".join(md(_verdict_text(v)) for v in item["verdicts"])
                      for item in odd]
            lines.append("")
        lines += ["## Flow", "", f"- tasks done: {self.tasks_done}"]
        share = "-" if self.in_box_share is None else f"{self.in_box_share:.0%}"
        lines.append(f"- finished inside their time box: {share}")
        lines.append(f"- total overrun: {_dur(self.total_overrun_seconds)}")
        lines.append(f"- cycle time: median {_dur(self.cycle_median_seconds)}, "
                     f"85th percentile {_dur(self.cycle_p85_seconds)}")
        lines.append(f"- cycle time without blocked time: median "
                     f"{_dur(self.unblocked_cycle_median_seconds)}, 85th percentile "
                     f"{_dur(self.unblocked_cycle_p85_seconds)}")
        lines.append(f"- blocked this month: {_dur(self.blocked_total_seconds)} in all")
        weeks = ", ".join(f"{w['week']}: {w['done']}" for w in self.throughput)
        lines.append(f"- throughput per week: {weeks or '-'}")
        closed = []
        for item in self.closed:
            box = "" if item["timebox_seconds"] is None else (
                " (in its box)" if item["overrun_seconds"] == 0
                else f" ({_dur(item['overrun_seconds'])} over its box)")
            closed.append(f"- #{item['id']} {md(item['title'])} — {item['kind']}"
                          f"{', ' + item['outcome'] if item['outcome'] else ''}; cycle time "
                          f"{_dur(item['cycle_seconds'])}{box}")
        lines += _section("Closed this month", closed, "- nothing")
        lines += _section("Time spent in each lane", [
            f"- {names.get(slug, slug)}: {_dur(seconds)}"
            for slug, seconds in self.lane_seconds.items()])
        lines += _section("Blocked", [
            f"- #{item['id']} {md(item['title'])}: {_dur(item['seconds'])}"
            + (" (still blocked)" if item["still"] else "") for item in self.blocked])
        lines += _section("Labels of the cards closed", [
            f"- {md(label)}: {count}" for label, count in self.labels.items()])
        lines += _section("Time-box extensions", [
            f"- #{ext['id']} {md(ext['title'])}: {md(ext['reason'], indent='  ') or '(no reason)'}"
            f" ({md(ext['author'])})"
            for ext in self.extensions])
        lines += _section("Work in progress now", [
            f"- #{item['id']} {md(item['title'])} in {names.get(item['lane'], '?')} "
            f"for {_dur(item['age_seconds'])}"
            + (" — **longer than its box**" if item["over_box"] else "")
            for item in self.wip])
        lines += _section("WIP limits exceeded", [
            f"- {names.get(slug, slug)}: over its limit on {plural(days, 'day')}"
            for slug, days in self.wip_exceeded_days.items()], "- no lane has a WIP limit")
        lines += _section("Phase decisions", [
            f"- {md(phase['name'])}: **{phase['decision']}** ({md(phase['decided_by'] or '')}) — "
            f"{md(phase['note'] or phase['goal'], indent='  ')}"
            for phase in self.phases])
        lines += ["", "## Cumulative flow", "", "```",
                  *cfd_lines(self.cfd_days, self.cfd, self.lanes, width), "```", ""]
        return "\n".join(lines)


def _one_block(text: str, *, indent: str = "") -> str:
    return ("\n" + indent).join(line.strip() for line in text.splitlines() if line.strip())


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{int(seconds)}s"
    return format_duration(round(seconds / 60) * 60)


CFD_GLYPHS = {"done": "█", "review-model": "▓", "update-model": "▒",
              "review-hypothesis": "░", "test-hypothesis": "▚", "todo": "·"}
CFD_SPARE = "+=#%&*"


def cfd_glyph(slug: str, index: int) -> str:
    return CFD_GLYPHS.get(slug, CFD_SPARE[index % len(CFD_SPARE)])


def _section(heading: str, items: list[str], empty: str = "- none") -> list[str]:
    """A Markdown sub-section: its heading, then its items (or ``empty`` when there are none)."""
    return ["", f"### {heading}", "", *(items or [empty])]


def cfd_lines(days: list[str], cfd: dict[str, list[int]], lanes: list[LaneRef],
              width: int = 60) -> list[str]:
    """One row per day: the cards in each lane stacked from Done (left) to To do (right)."""
    order = list(reversed(lanes))
    peak = max((sum(cfd[lane.slug][i] for lane in lanes) for i in range(len(days))), default=0)
    scale = width / peak if peak else 1.0
    rows = []
    for i, day in enumerate(days):
        bar = ""
        cumulative = 0.0
        for index, lane in enumerate(order):
            before = round(cumulative * scale)
            cumulative += cfd[lane.slug][i]
            bar += cfd_glyph(lane.slug, index) * (round(cumulative * scale) - before)
        total = sum(cfd[lane.slug][i] for lane in lanes)
        rows.append(f"{day[5:]} {bar} {total}")
    legend = "  ".join(f"{cfd_glyph(lane.slug, i)} {lane.name}" for i, lane in enumerate(order))
    return rows + ["", legend]


def compute(cards: list[CardHistory], lanes: list[LaneRef], phases: list[PhaseRef],
            year: int, month: int, now: float) -> Retro:
    """Every figure of the month's retro."""
    start, end = month_bounds(year, month)
    horizon = min(end, now)
    closed = [c for c in cards if c.clock_stop is not None and start <= c.clock_stop < end
              and c.lane_slug == DONE]
    closed.sort(key=lambda c: (c.clock_stop, c.id))

    hypotheses = {outcome: 0 for outcome in OUTCOMES}
    learnings, closed_rows, cycles, unblocked_cycles = [], [], [], []
    labels: dict[str, int] = {}
    in_box = boxed = 0
    overrun_total = 0.0
    for card in closed:
        assert card.clock_stop is not None
        cycle = card.clock_stop - card.clock_start if card.clock_start is not None else None
        overrun = None
        if card.timebox_seconds and cycle is not None:
            boxed += 1
            overrun = max(0.0, cycle - card.timebox_seconds)
            in_box += overrun == 0
            overrun_total += overrun
        if cycle is not None:
            cycles.append(cycle)
            assert card.clock_start is not None
            unblocked_cycles.append(
                cycle - blocked_within(card, card.clock_start, card.clock_stop))
        for label in card.labels:
            labels[label] = labels.get(label, 0) + 1
        if card.kind == "hypothesis" and card.outcome:
            hypotheses[card.outcome] += 1
            learnings.append({"id": card.id, "title": card.title, "outcome": card.outcome,
                              "conclusion": card.conclusion, "runs": card.runs,
                              "runs_met_criteria": card.runs_met,
                              "agrees": None if card.runs_met is None or card.outcome ==
                              "inconclusive" else not against(card.outcome, card.verdicts),
                              "verdicts": [v.to_json() for v in card.verdicts]})
        closed_rows.append({"id": card.id, "title": card.title, "kind": card.kind,
                            "outcome": card.outcome, "closed": iso(card.clock_stop),
                            "cycle_seconds": cycle, "timebox_seconds": card.timebox_seconds,
                            "overrun_seconds": overrun})

    extensions = [
        {"id": card.id, "title": card.title, "at": iso(at), "author": author, "reason": reason}
        for card in cards for at, author, reason in card.extensions if start <= at < end
    ]
    extensions.sort(key=lambda e: str(e["at"]))

    blocked = []
    for card in cards:
        seconds = blocked_within(card, start, horizon)
        if seconds > 0:
            still = bool(card.blocks) and card.blocks[-1][1] == "block"
            blocked.append({"id": card.id, "title": card.title, "seconds": seconds,
                            "still": still})
    blocked.sort(key=lambda b: (-cast(float, b["seconds"]), b["id"]))

    lane_seconds = {lane.slug: 0.0 for lane in lanes}
    for card in cards:
        for slug, begin, finish in lane_intervals(card, horizon):
            overlap = min(finish, horizon) - max(begin, start)
            if overlap > 0 and slug in lane_seconds:
                lane_seconds[slug] += overlap

    throughput: dict[str, int] = {}
    day = _utc_date(start)
    last_day = _utc_date(end - 1)
    while day <= last_day:
        iso_year, week, _ = day.isocalendar()
        throughput.setdefault(f"{iso_year}-W{week:02d}", 0)
        day += timedelta(days=1)
    for card in closed:
        assert card.clock_stop is not None
        iso_year, week, _ = _utc_date(card.clock_stop).isocalendar()
        throughput[f"{iso_year}-W{week:02d}"] += 1

    wip = []
    for card in cards:
        if card.archived_at is not None or card.lane_slug in (TODO, DONE):
            continue
        entered = max(at for at, slug in card.visits if slug == card.lane_slug)
        age = now - entered
        wip.append({"id": card.id, "title": card.title, "lane": card.lane_slug,
                    "age_seconds": age, "timebox_seconds": card.timebox_seconds,
                    "over_box": bool(card.timebox_seconds and age > card.timebox_seconds)})
    wip.sort(key=lambda w: -cast(float, w["age_seconds"]))

    cfd_days: list[str] = []
    cfd: dict[str, list[int]] = {lane.slug: [] for lane in lanes}
    moment = start
    while moment < horizon:
        snapshot = min(moment + DAY, horizon) - 1e-6
        cfd_days.append(_utc_date(moment).isoformat())
        counts = dict.fromkeys(cfd, 0)
        for card in cards:
            where = lane_at(card, snapshot)
            if where in counts:
                counts[where] += 1
        for slug, count in counts.items():
            cfd[slug].append(count)
        moment += DAY
    exceeded = {lane.slug: sum(1 for n in cfd[lane.slug] if n > lane.wip_limit)
                for lane in lanes if lane.wip_limit}

    decided = [
        {"name": p.name, "goal": p.goal, "decision": p.decision, "note": p.note,
         "decided_by": p.decided_by, "ended": iso(p.ended_at)}
        for p in phases if p.ended_at is not None and start <= p.ended_at < end
    ]
    by_month = []
    for back in range(5, -1, -1):
        y, m = shift_month(year, month, -back)
        begin, finish = month_bounds(y, m)
        counts = {outcome: 0 for outcome in OUTCOMES}
        for card in cards:
            if (card.kind == "hypothesis" and card.outcome and card.lane_slug == DONE
                    and card.clock_stop is not None and begin <= card.clock_stop < finish):
                counts[card.outcome] += 1
        by_month.append({"month": f"{y:04d}-{m:02d}", **counts})
    return Retro(
        month=f"{year:04d}-{month:02d}", now=now, lanes=lanes, hypotheses=hypotheses,
        learnings=learnings, tasks_done=sum(1 for c in closed if c.kind == "task"),
        closed=closed_rows, in_box_share=(in_box / boxed) if boxed else None,
        total_overrun_seconds=overrun_total, extensions=extensions,
        cycle_median_seconds=statistics.median(cycles) if cycles else None,
        cycle_p85_seconds=percentile(cycles, 85), lane_seconds=lane_seconds,
        throughput=[{"week": w, "done": n} for w, n in throughput.items()], wip=wip,
        phases=decided, wip_exceeded_days=exceeded, cfd_days=cfd_days, cfd=cfd,
        blocked=blocked, blocked_total_seconds=sum(cast(float, b["seconds"]) for b in blocked),
        unblocked_cycle_median_seconds=(statistics.median(unblocked_cycles)
                                        if unblocked_cycles else None),
        unblocked_cycle_p85_seconds=percentile(unblocked_cycles, 85),
        labels=dict(sorted(labels.items(), key=lambda item: (-item[1], item[0]))),
        by_month=by_month,
    )


def current_month(now: float) -> tuple[int, int]:
    moment = datetime.fromtimestamp(now, UTC)
    return moment.year, moment.month


def shift_month(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


def _verdict_text(verdict: dict[str, Any]) -> str:
    """``accuracy >= 0.9: 0.809 (MLflow run ablation) not met``, from ``Verdict.to_json``."""
    if verdict["value"] is None:
        return f"{verdict['criterion']}: not measured"
    where = verdict["source"] + (f", step {verdict['step']}" if verdict["step"] is not None
                                 else "")
    return (f"{verdict['criterion']}: {verdict['value']:g} ({where}) "
            + ("met" if verdict["met"] else "not met"))
