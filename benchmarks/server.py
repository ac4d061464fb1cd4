"""A board on a PostgreSQL server, beside the same board in a file:
``python -m benchmarks.server`` (``--quick`` for a short run; ``--url`` for a server of your
own, else a throwaway one is started on loopback with Debian's server binaries).

Builds a board of 1,000 cards (as ``python -m benchmarks``) in a file and in an empty database
and measures, for each:

* first paint of ``tkanban`` on a pseudo-terminal, and ``tkanban list --json`` (median wall
  time of whole processes);
* another client's move on screen, p50 and p95: the harness moves a card (one committed write)
  and times until the frame that shows it (a file board finds changes by polling once a second,
  a server board is told through LISTEN/NOTIFY);
* idle CPU of the open board, and how many statements the server ran for it in a minute of
  idling (counted by the server's ``pg_stat_statements``, for the board's role only: the
  server's own work, such as autovacuum after the board was filled, is not the board's).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.__main__ import QUIT, first_paint, idle_cpu, list_json, pct, start
from benchmarks.build import NOW, board_data
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.transfer.backup import import_json

CARDS = 1_000


def fill(where: Path | str) -> None:
    store = open_store(where, clock=lambda: NOW)
    try:
        import_json(store, board_data(CARDS))
    finally:
        store.close()


def moves_seen(where: Path | str, repeats: int, idle: float,
               statements: object = None) -> dict[str, list[float]]:
    """Idle CPU (and statements run while idle), then ``repeats`` moves by another client."""
    store = open_store(where, clock=time.time)
    movers = [ops.add_card(store, "main", f"mover-{n}", author="bob", lane="update-model").id
              for n in range(repeats)]
    app, _ = start(where)  # type: ignore[arg-type]
    out: dict[str, list[float]] = {}
    try:
        counted: list[int] = []
        cpu, elapsed = idle_cpu(app, idle, lambda: callable(statements) and counted.append(
            statements()))
        out["idle"] = [cpu]
        if counted and callable(statements):
            out["queries"] = [(statements() - counted[0]) * 60 / elapsed]
        delays = []
        for card_id in movers:
            since = len(app.output)
            ops.move_card(store, card_id, "review-model", author="bob", position=0)
            committed = time.perf_counter()
            title = q.get_card(store, card_id).card.title
            delays.append(app.wait_for(title.encode(), since=since) - committed)
            app.settle(0.3)
        out["external"] = delays
    finally:
        app.finish(QUIT["board"])
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test)")
    parser.add_argument("--url", help="an empty database to use (default: a throwaway server)")
    args = parser.parse_args()
    runs, repeats, idle = (2, 5, 5.0) if args.quick else (5, 30, 60.0)
    server = None
    if args.url is None:
        from tests import pgserver

        server = pgserver.start()
        if server is None:
            sys.exit("no PostgreSQL server binaries here (Debian: apt install postgresql); "
                     "or give --url")
        database = server.new_database()
        url = server.url(database)
    else:
        url = args.url
    rows: dict[str, dict[str, str]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            targets: dict[str, Path | str] = {"file": Path(tmp) / "board.db", "server": url}
            for column, where in targets.items():
                print(f"measuring {column}", file=sys.stderr)
                fill(where)
                paint, memory = first_paint(where, runs)  # type: ignore[arg-type]
                rows.setdefault("first paint (s)", {})[column] = f"{paint:.2f}"
                rows.setdefault("peak memory (MB)", {})[column] = f"{memory:.0f}"
                rows.setdefault("tkanban list --json (s)", {})[column] = (
                    f"{list_json(where, runs):.3f}")
                counter = None
                if column == "server" and server is not None:
                    def counter() -> int:
                        return server.statements(database)
                data = moves_seen(where, repeats, idle, counter)
                delays = [d * 1000 for d in data["external"]]
                rows.setdefault("another client's move on screen p50 / p95 (ms)", {})[column] = (
                    f"{pct(delays, 50):.0f} / {pct(delays, 95):.0f}")
                rows.setdefault("idle CPU (% of one core)", {})[column] = f"{data['idle'][0]:.2f}"
                if "queries" in data:
                    rows.setdefault("statements per minute from an idle board", {})[column] = (
                        f"{data['queries'][0]:.0f}")
    finally:
        if server is not None:
            server.close()
    columns = ["file", "server"]
    width = max(len(m) for m in rows)
    cells = {c: max([len(c)] + [len(r.get(c, "")) for r in rows.values()]) for c in columns}
    print(f"| {'metric'.ljust(width)} | " + " | ".join(c.ljust(cells[c]) for c in columns) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (cells[c] + 2) for c in columns) + "|")
    for metric, row in rows.items():
        print(f"| {metric.ljust(width)} | "
              + " | ".join(row.get(c, "").ljust(cells[c]) for c in columns) + " |")

if __name__ == "__main__":
    main()
