"""Reading what a Textual app has painted, as plain text lines (from its SVG screenshot)."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from typing import Any

from textual.app import App

_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[\w-]+-line-(\d+)\)">([^<]*)</text>'
)
CELL_WIDTH = 12.2


async def poll_until(app: Any, pilot: Any, check: Callable[[], bool],
                     timeout: float = 5.0) -> None:
    """Let the board look for other processes' changes until ``check`` holds (a board on a
    server hears of a change a moment after it is committed; a file board at its next poll)."""
    deadline = time.monotonic() + timeout
    while True:
        app.poll()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if check() or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.05)


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


def text_colors(app: App, text: str) -> set[str]:
    """The colours (``#rrggbb``) the app paints the on-screen text ``text`` in."""
    svg = app.export_screenshot()
    fills = dict(re.findall(r"\.([\w-]+) \{ fill: (#[0-9a-f]{6})", svg))
    return {fills[cls] for cls, body in re.findall(r'<text class="([\w-]+)"[^>]*>([^<]*)</text>',
                                                   svg)
            if text in html.unescape(body).replace("\xa0", " ") and cls in fills}


def luminance(color: str) -> float:
    """0 for black, 1 for white."""
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
