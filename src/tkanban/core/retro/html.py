"""The retro as one self-contained HTML file (``tkanban retro --format html``): the charts as
inline SVG drawn by matplotlib (the ``report`` extra), and the report's text. No script, no
font, no image from anywhere: the file opens offline, in a mail or on a wiki.

Every bar and point carries an id (``bar-throughput-3``, ``point-cycle-12``) so a page, or a
test, can find what is drawn; user text is escaped.
"""

from __future__ import annotations

import html
import io
from typing import Any

from tkanban.core.errors import TkanbanError
from tkanban.core.retro.charts import Chart, charts
from tkanban.core.retro.figures import Retro

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"]
OUTCOME_COLORS = {"validated": "#54a24b", "invalidated": "#e45756", "inconclusive": "#9d9d9d"}

CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
section.chart svg { width: 100%; height: auto; }
p.empty { color: #777; font-style: italic; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }
"""


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise TkanbanError("the HTML report draws its charts with matplotlib: "
                           "pip install 'tkanban[report]'") from None
    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "tkanban",
                                "font.size": 9})
    from matplotlib.figure import Figure

    return Figure


def _svg(chart: Chart) -> str:
    figure_class = _matplotlib()
    fig = figure_class(figsize=(9, 3.6))
    ax = fig.add_subplot()
    names, values = list(chart.series), list(chart.series.values())
    xs = list(range(len(chart.labels)))
    if chart.kind == "stack":
        bottom = [0.0] * len(xs)
        for n, (name, counts) in enumerate(zip(names, values, strict=True)):
            bars = ax.bar(xs, counts, bottom=bottom, label=name,
                          color=PALETTE[n % len(PALETTE)], width=0.9)
            for i, patch in enumerate(bars):
                patch.set_gid(f"bar-{chart.key}-{n}-{i}")
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        ax.legend(loc="upper left", fontsize=7)
    elif chart.kind in ("bars", "hbars"):
        draw = ax.barh if chart.kind == "hbars" else ax.bar
        bars = draw(xs, values[0], color=PALETTE[0])
        for i, patch in enumerate(bars):
            patch.set_gid(f"bar-{chart.key}-{i}")
    elif chart.kind == "groups":
        width = 0.8 / len(names)
        for n, name in enumerate(names):
            bars = ax.bar([x + (n - 1) * width for x in xs], values[n], width=width,
                          label=name, color=OUTCOME_COLORS.get(name, PALETTE[n]))
            for i, patch in enumerate(bars):
                patch.set_gid(f"bar-{chart.key}-{n}-{i}")
        ax.legend(loc="upper left", fontsize=7)
    else:
        for point in chart.points:
            ax.plot([point.x], [point.y], "o", color=PALETTE[0],
                    gid=f"point-{chart.key}-{point.card_id}")
            ax.annotate(f"#{point.card_id}", (point.x, point.y), textcoords="offset points",
                        xytext=(4, 4), fontsize=7)
        for (name, value), color in zip(chart.rules.items(), (PALETTE[2], PALETTE[1]),
                                        strict=False):
            ax.axhline(value, color=color, linestyle="--", label=f"{name} {value:.1f} h",
                       gid=f"rule-{chart.key}-{name.split()[0]}")
        ax.set_xlim(0, 32)
        ax.set_xlabel("day of the month closed")
        ax.legend(loc="upper left", fontsize=7)
    if chart.kind != "scatter":
        ticks = xs if len(xs) <= 16 else xs[::max(1, len(xs) // 10)]
        (ax.set_yticks if chart.kind == "hbars" else ax.set_xticks)(
            ticks, [chart.labels[i] for i in ticks])
    (ax.set_xlabel if chart.kind == "hbars" else ax.set_ylabel)(chart.unit)
    if chart.unit in ("cards", "hypotheses"):  # counts: whole numbers on the axis
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg"):]  # inline: without the XML declaration and doctype


def _report_lines(retro: Retro) -> str:
    parts: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    in_code = False
    for line in retro.to_markdown(escape=False).splitlines():
        if line.startswith("```"):
            flush()
            parts.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
        elif in_code:
            parts.append(html.escape(line) + "\n")
        elif line.startswith("#"):
            flush()
            level = min(len(line) - len(line.lstrip("#")) + 1, 4)
            parts.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.startswith("- "):
            items.append(html.escape(line[2:].replace("**", "")))
        elif line.strip():
            flush()
            parts.append(f"<p>{html.escape(line.replace('**', ''))}</p>")
    flush()
    return "\n".join(parts)


def retro_html(retro: Retro, board: str) -> str:
    """The whole report: charts first, then the text."""
    data = retro.to_json()
    sections = []
    for chart in charts(data, {lane.slug: lane.name for lane in retro.lanes}):
        body = (f'<p class="empty">{html.escape(chart.empty_text)}</p>' if chart.empty
                else _svg(chart))
        sections.append(f'<section class="chart" id="chart-{chart.key}">'
                        f"<h2>{html.escape(chart.title)}</h2>\n{body}</section>")
    title = html.escape(f"Retro {retro.month} · board {board}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>"
            f"<style>{CSS}</style></head><body>\n<h1>{title}</h1>\n"
            + "\n".join(sections) + "\n<hr>\n" + _report_lines(retro) + "\n</body></html>\n")
