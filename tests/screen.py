"""Reading what a Textual app has painted, as plain text lines (from its SVG screenshot)."""

from __future__ import annotations

import html
import re

from textual.app import App

_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>'
)
CELL_WIDTH = 12.2


def screen_lines(app: App) -> list[str]:
    """The terminal as the user sees it: one string per row."""
    width, height = app.size
    grid = [[" "] * width for _ in range(height)]
    for x, row, text in _TEXT.findall(app.export_screenshot()):
        col = round(float(x) / CELL_WIDTH)
        line = int(row)
        for i, ch in enumerate(html.unescape(text).replace("\xa0", " ")):
            if line < height and col + i < width:
                grid[line][col + i] = ch
    return ["".join(row).rstrip() for row in grid]


def screen_text(app: App) -> str:
    return "\n".join(screen_lines(app))
