"""Speed at scale: ``python -m benchmarks`` (``--quick`` for a short run).

Builds boards of 0, 1,000 and 10,000 cards (three log entries each; most cards done, as on a
year-old board) and runs ``tkanban`` on each as a whole process on a pseudo-terminal, next to a
bare Textual app with six empty columns (the floor). It measures:

* first paint: from starting the process to the end of the first frame showing the board;
* settled memory: the process's own high-water mark of resident memory (not counting what the
  harness held when it started it), read once the board has settled: 3 s after the first
  paint and 0.5 s without a frame, when the background loading is over;
* keypress to repaint, p50 and p95, for focus moves, card moves and reorders: from writing the
  key's bytes to the end of the next frame; card moves are drawn before they are written, so the
  time until the file has them is reported too. Each key is sent once the screen has been quiet
  for 50 ms, as when a person types: Textual draws at most 60 frames a second, so keys sent
  back to back would time that cap rather than the app;
* a change committed by another process until the frame that shows it;
* CPU while idle, the countdown ticking and the file polled every second, measured from 3 s
  after the first paint (the board loads its write path in the background at start);
* ``tkanban list --json`` as a whole process (median wall time), as scripts call it.

Then two debts a board must not run up:

* a board's features must not cost its first frame: the demo board (runs, relations, labels,
  time boxes on 10 cards) against a plain 1,000-card board, first paint and settled frame (the
  last frame before 0.5 s without one);
* memory must not grow with use: resident memory of the 10,000-card board after 100 and after
  1,000 card moves (``L``/``H`` in turn).

Prints three tables; figures in brackets are ratios to the floor.
"""

from __future__ import annotations

import argparse
import compileall
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.build import build
from benchmarks.terminal import PtyApp

SIZES = [0, 1_000, 10_000]
ROOT = Path(__file__).resolve().parent.parent
QUIT = {"floor": b"\x11", "board": b"q"}

ADD_ON_TOP = (  # on top of a lane the board is not scrolling, so the new card is in view
    "import sys, time; from pathlib import Path; from tkanban.core.board import cards as ops; "
    "from tkanban.core.storage import open_store; s = open_store(Path(sys.argv[1])); "
    "c = ops.add_card(s, 'main', sys.argv[2], author='bob', lane='review-model'); "
    "ops.reorder_card(s, c.id, 0, author='bob'); print(time.time())"
)


def env() -> dict[str, str]:
    """The apps' environment: as a user's terminal, with byte code cached as after an install."""
    out = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")}
    out.update(TERM="xterm-256color", TKANBAN_USER="bench",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    return out


def argv(db: Path | None) -> list[str]:
    if db is None:
        return [sys.executable, "-m", "benchmarks.floor"]
    return [sys.executable, "-m", "tkanban", "--db", str(db)]


MARKER = {True: b"lane 6", False: b"Done"}


def start(db: Path | None) -> tuple[PtyApp, float]:
    app = PtyApp(argv(db), env())
    painted = app.wait_for(MARKER[db is None])
    return app, painted - app.started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def first_paint(db: Path | None, runs: int) -> tuple[float, float]:
    """Median seconds to the first painted board, and the settled memory (MB) of those runs."""
    times, memory = [], []
    for run in range(runs + 1):
        app, seconds = start(db)
        settle_after(app, 3.0)
        peak = app.finish(QUIT["floor" if db is None else "board"])
        if run:  # the first run warms the disk cache
            times.append(seconds)
            memory.append(peak)
    return statistics.median(times), max(memory)


def settle_after(app: PtyApp, seconds: float) -> float:
    """Read until ``seconds`` have passed since the app started and it has then drawn nothing
    for 0.5 s; returns when its last frame before that quiet ended (from its start)."""
    last = app.reads[-1][0] if app.reads else app.started
    while time.perf_counter() - app.started < seconds or time.perf_counter() - last < 0.5:
        if app.pump(0.05):
            last = app.reads[-1][0]
    return last - app.started


def features(tmp: Path, plain: Path, runs: int) -> dict[str, tuple[float, float]]:
    """First paint and settled frame (medians, s) of the demo board and a plain one."""
    demo = tmp / "demo.db"
    subprocess.run([sys.executable, "-m", "tkanban", "--db", str(demo), "demo"], env=env(),
                   capture_output=True, check=True)
    out = {}
    for name, db in (("plain, 1,000 cards", plain), ("demo, 10 cards", demo)):
        paints, settled = [], []
        for run in range(runs + 1):
            app, seconds = start(db)
            quiet = settle_after(app, 0.0)
            app.finish(QUIT["board"])
            if run:
                paints.append(seconds)
                settled.append(quiet)
        out[name] = statistics.median(paints), statistics.median(settled)
    return out


def resident(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        return next(int(line.split()[1]) / 1024 for line in handle if line.startswith("VmRSS:"))


def memory_over_moves(db: Path, moves: int) -> dict[int, float]:
    """Resident memory (MiB) of the board once settled (0) and after 100 and ``moves`` moves
    of one card back and forth."""
    app, _ = start(db)
    marks = {}
    try:
        settle_after(app, 3.0)
        marks[0] = resident(app.pid)
        app.key(b"j")
        app.settle(0.2)
        for n in range(1, moves + 1):
            app.key(b"L" if n % 2 else b"H")
            app.settle(0.02, limit=2)
            if n in (100, moves):
                app.settle(0.5)
                marks[n] = resident(app.pid)
    finally:
        app.finish(QUIT["board"])
    return marks


def table(columns: list[str], rows: dict[str, dict[str, str]]) -> None:
    width = max(len(metric) for metric in rows)
    cells = {c: max([len(c)] + [len(r.get(c, "")) for r in rows.values()]) for c in columns}
    print("| " + "metric".ljust(width) + " | "
          + " | ".join(c.ljust(cells[c]) for c in columns) + " |")
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * (cells[c] + 2) for c in columns) + "|")
    for metric, row in rows.items():
        print("| " + metric.ljust(width) + " | "
              + " | ".join(row.get(c, "").ljust(cells[c]) for c in columns) + " |")


def list_json(db: Path | str, runs: int) -> float:
    """Median seconds of ``tkanban list --json`` as a whole process (after one warm-up)."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tkanban", "--db", str(db), "list", "--json"],
                       env=env(), capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def idle_cpu(app: PtyApp, idle: float, during: Callable[[], object] = lambda: None
             ) -> tuple[float, float]:
    """CPU while idle (% of one core) from 3 s after the board settled, over ``idle``
    seconds; ``during`` is called at the start of the idle time (its result is dropped), and
    the idle seconds are returned too."""
    app.settle()
    warm = time.perf_counter()
    while time.perf_counter() - warm < 3.0:
        app.pump(0.1)
    during()
    cpu0, t0 = app.cpu_seconds(), time.perf_counter()
    while time.perf_counter() - t0 < idle:
        app.pump(0.1)
    elapsed = time.perf_counter() - t0
    return 100 * (app.cpu_seconds() - cpu0) / elapsed, elapsed


def session(db: Path | None, presses: int, idle: float, repeats: int) -> dict[str, list[float]]:
    """One long run: idle CPU, key latencies, changes from another process."""
    app, _ = start(db)
    out: dict[str, list[float]] = {}
    try:
        out["idle"] = [idle_cpu(app, idle)[0]]
        cards = db is not None and build_has_cards(db)
        # on an empty board j/k have no card to go to, and rightly draw nothing
        keys = [b"l", b"h", b"j", b"k"] if db is None or cards else [b"l", b"h"]
        out["focus"] = []
        for key in keys * (presses // len(keys)):
            out["focus"].append(app.key(key) * 1000)
            app.settle(0.05)
        if not cards:
            return out
        app.key(b"j")
        app.settle(0.2)
        watch = sqlite3.connect(db)
        for kind, keys in (("move", [b"L", b"H"]), ("reorder", [b"J", b"K"])):
            paint, written = [], []
            for key in keys * (presses // 2):
                version = watch.execute("PRAGMA data_version").fetchone()[0]
                sent = time.perf_counter()
                paint.append(app.key(key) * 1000)
                while watch.execute("PRAGMA data_version").fetchone()[0] == version:
                    app.pump(0.0005)
                    if time.perf_counter() - sent > 10:
                        raise TimeoutError(f"{key!r} never reached the file")
                written.append((time.perf_counter() - sent) * 1000)
                app.settle(0.05)
            out[kind], out[kind + "_file"] = paint, written
        watch.close()
        delays = []
        for n in range(repeats):
            title = f"ext-{n}-{os.getpid()}"
            since = len(app.output)
            done = subprocess.run([sys.executable, "-c", ADD_ON_TOP, str(db), title],
                                  capture_output=True, text=True, env=env(), check=True)
            wall_now, perf_now = time.time(), time.perf_counter()
            committed = perf_now - (wall_now - float(done.stdout))
            delays.append(app.wait_for(title.encode(), since=since) - committed)
            app.settle(0.3)
        out["external"] = delays
    finally:
        app.finish(QUIT["floor" if db is None else "board"])
    return out


def build_has_cards(db: Path) -> bool:
    conn = sqlite3.connect(db)
    try:
        return bool(conn.execute("SELECT count(*) FROM card").fetchone()[0])
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    args = parser.parse_args()
    # an installed package has its byte code compiled; a source tree gets it on this run
    import tkanban
    for folder in (Path(tkanban.__file__).parent, ROOT / "benchmarks"):
        compileall.compile_dir(folder, quiet=1)
    runs, presses, idle, repeats = (2, 8, 3.0, 2) if args.quick else (5, 60, 10.0, 5)
    moves = 200 if args.quick else 1_000

    columns = ["floor"] + [f"{n:,} cards" for n in SIZES]
    rows: dict[str, dict[str, str]] = {}
    raw: dict[str, dict[str, float]] = {}

    def put(metric: str, column: str, value: float, text: str, ratio_to_floor: bool) -> None:
        raw.setdefault(metric, {})[column] = value
        floor = raw[metric].get("floor")
        if ratio_to_floor and column != "floor" and floor:
            text += f" ({value / floor:.1f}×)"
        rows.setdefault(metric, {})[column] = text

    with tempfile.TemporaryDirectory() as tmp:
        targets: dict[str, Path | None] = {"floor": None}
        for n in SIZES:
            targets[f"{n:,} cards"] = build(Path(tmp) / f"board-{n}.db", n)
        for column, db in targets.items():
            print(f"measuring {column}", file=sys.stderr)
            paint, memory = first_paint(db, runs)
            put("first paint (s)", column, paint, f"{paint:.2f}", True)
            put("settled memory (MB)", column, memory, f"{memory:.0f}", True)
            if db is not None:
                seconds = list_json(db, runs * 2)
                put("tkanban list --json (s)", column, seconds, f"{seconds:.3f}", False)
            data = session(db, presses, idle, repeats)
            put("idle CPU (% of one core)", column, data["idle"][0], f"{data['idle'][0]:.2f}",
                False)
            for kind, label in (("focus", "focus key"), ("move", "move key"),
                                ("reorder", "reorder key"), ("move_file", "move key → file"),
                                ("reorder_file", "reorder key → file")):
                if kind in data:
                    p50, p95 = pct(data[kind], 50), pct(data[kind], 95)
                    put(f"{label} p50 / p95 (ms)", column, p50, f"{p50:.1f} / {p95:.1f}",
                        kind == "focus")
            if "external" in data:
                delays = data["external"]
                put("other process's change on screen, median / max (s)", column,
                    statistics.median(delays), f"{statistics.median(delays):.2f} / "
                    f"{max(delays):.2f}", False)
        columns.append("10,000 / 0")
        for metric in ("first paint (s)", "settled memory (MB)"):
            ratio = raw[metric]["10,000 cards"] / raw[metric]["0 cards"]
            rows[metric]["10,000 / 0"] = f"{ratio:.2f}×"
        table(columns, rows)

        print("measuring the demo board", file=sys.stderr)
        boards = features(Path(tmp), targets["1,000 cards"] or Path(), runs)
        plain_paint, plain_settled = boards["plain, 1,000 cards"]
        feature_rows: dict[str, dict[str, str]] = {"first paint (s)": {}, "settled frame (s)": {}}
        for name, (paint, settled) in boards.items():
            feature_rows["first paint (s)"][name] = f"{paint:.2f} ({paint / plain_paint:.2f}×)"
            feature_rows["settled frame (s)"][name] = (f"{settled:.2f} "
                                                       f"({settled / plain_settled:.2f}×)")
        print()
        table(list(boards), feature_rows)

        print(f"measuring {moves:,} moves", file=sys.stderr)
        marks = memory_over_moves(targets["10,000 cards"] or Path(), moves)
        growth = marks[moves] - marks[100]
        print()
        table(["10,000 cards"], {
            "resident memory, settled (MiB)": {"10,000 cards": f"{marks[0]:.1f}"},
            "after 100 moves (MiB)": {"10,000 cards": f"{marks[100]:.1f}"},
            f"after {moves:,} moves (MiB)": {"10,000 cards": f"{marks[moves]:.1f}"},
            f"growth, moves 100 to {moves:,}": {
                "10,000 cards": f"{growth:+.1f} MiB ({growth * 1024 / (moves - 100):.1f} KiB "
                                "a move)"},
        })


if __name__ == "__main__":
    main()
