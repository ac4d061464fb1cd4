"""Linked runs side by side: the params that differ between them, their duration, commit and
link, as the card pane and ``tkanban runs`` show them. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from tkanban.core.model.records import LinkInfo
from tkanban.core.model.text import plural
from tkanban.core.model.timebox import format_duration

CELL_MAX = 24
"""Characters of a param's value shown in a cell (the whole value is in ``--json``)."""


def differing(runs: Sequence[LinkInfo]) -> list[str]:
    """The params whose value is not the same in every run (missing counts as a value)."""
    names = sorted({name for run in runs for name in run.detail.params})
    return [name for name in names
            if len({run.detail.params.get(name) for run in runs}) > 1]


def duration(run: LinkInfo) -> str:
    seconds = run.detail.seconds
    if seconds is None:
        return "-"
    return format_duration(seconds) if seconds >= 60 else f"{seconds:.0f}s"


def _cell(text: str) -> str:
    return text if len(text) <= CELL_MAX else text[:CELL_MAX - 1] + "…"


def compare_params(runs: Sequence[LinkInfo]) -> list[str]:
    """The table's lines: a row a run (name, the differing params, duration, commit); empty
    with fewer than two runs."""
    if len(runs) < 2:
        return []
    names = differing(runs)
    header = ["run", *names, "time", "commit"]
    rows = [[run.name or run.ref, *(run.detail.params.get(n, "-") for n in names),
             duration(run), run.detail.commit[:10] or "-"] for run in runs]
    rows = [[_cell(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    if not names:
        lines.append(f"(the {plural(len(runs), 'run')} share every param)")
    return lines
