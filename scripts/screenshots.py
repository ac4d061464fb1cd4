"""Render SVG screenshots of the real app on the demo board into screenshots/.

Run: python scripts/screenshots.py  (the clock and time zone are frozen, so images only change
when the UI does).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tkanban.core.board.cards import ensure_board
from tkanban.core.demo import DEMO_RUNS, fill_demo
from tkanban.core.storage import open_store
from tkanban.tui.app import TkanbanApp

NOW = 1_795_000_000.0  # a fixed moment, so the countdowns in the images never change
OUT = Path(__file__).resolve().parent.parent / "screenshots"

SHOTS = [
    ("board-120x35", (120, 35), ["l"]),
    ("card-detail", (120, 35), ["l", "enter"]),
    ("card-relations", (120, 35), ["j", "enter"]),
    ("help", (120, 35), ["question_mark"]),
    ("board-80x24", (80, 24), ["l"]),
    ("new-card", (120, 35), ["n"]),
    ("retro-charts", (120, 35), ["R", "tab", "tab"]),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str], folder: Path) -> Path:
    path = folder / f"{name}.db"
    store = open_store(path, clock=lambda: NOW)
    ensure_board(store, "main")
    fill_demo(store, "main")
    app = TkanbanApp(store, "main", "alice", clock=lambda: NOW, poll_interval=3600)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.pause(0.2)
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(OUT)))


def report_png(folder: Path) -> None:
    """The HTML retro of the demo board, as Chromium shows it (skipped without chromium)."""
    import shutil
    import subprocess

    from tkanban.core.board.reads import history, phase_refs
    from tkanban.core.retro.figures import compute, current_month
    from tkanban.core.retro.html import retro_html

    browser = shutil.which("chromium")
    if browser is None:
        print("no chromium: screenshots/retro-report.png left as it is", file=sys.stderr)
        return
    store = open_store(folder / "report.db", clock=lambda: NOW)
    ensure_board(store, "main")
    fill_demo(store, "main")
    cards, lanes = history(store, "main")
    retro = compute(cards, lanes, phase_refs(store, "main"), *current_month(NOW), NOW)
    page = folder / "retro.html"
    page.write_text(retro_html(retro, "main"))
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--hide-scrollbars", f"--user-data-dir={folder / 'chromium'}",
                    f"--screenshot={OUT / 'retro-report.png'}", "--window-size=1000,1400",
                    page.as_uri()], check=True, capture_output=True)
    print(OUT / "retro-report.png", file=sys.stderr)


async def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    os.chdir(DEMO_RUNS.parent)  # the demo's run files show by their path from here
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, keys in SHOTS:
            print(await shoot(name, size, keys, Path(tmp)), file=sys.stderr)
        report_png(Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
