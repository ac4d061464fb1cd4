"""Build benchmark boards of any size in one transaction, through the import path."""

from __future__ import annotations

import random
from pathlib import Path

from tkanban.core.storage import open_store
from tkanban.core.storage.schema import SCHEMA_VERSION
from tkanban.core.storage.tables import LANES
from tkanban.core.transfer.backup import FORMAT, FORMAT_VERSION, import_json

NOW = 1_795_000_000.0
SHARE = {"todo": 0.10, "test-hypothesis": 0.03, "review-hypothesis": 0.01,
         "update-model": 0.02, "review-model": 0.01, "done": 0.83}
"""A year-old board: most cards are done, a few are in flight."""


def board_data(cards: int, logs_per_card: int = 3, seed: int = 1) -> dict:
    rng = random.Random(seed)
    lanes = [{"id": i + 1, "name": name, "slug": slug, "position": i, "wip_limit": None}
             for i, (name, slug) in enumerate(LANES)]
    lane_id = {slug: i + 1 for i, (_, slug) in enumerate(LANES)}
    slugs = [slug for _, slug in LANES]
    counts = {slug: int(cards * SHARE[slug]) for slug in slugs}
    counts["done"] += cards - sum(counts.values())
    rows, log = [], []
    card_id = entry_id = 0
    for slug in slugs:
        for position in range(counts[slug]):
            card_id += 1
            created = NOW - rng.uniform(3600, 365 * 86400)
            kind = "hypothesis" if rng.random() < 0.5 else "task"
            started = None if slug == "todo" else created + 3600
            stopped = started + rng.uniform(3600, 14 * 86400) if slug == "done" and started \
                else None
            rows.append({
                "id": card_id, "lane_id": lane_id[slug], "kind": kind,
                "title": f"We believe change {card_id} will lift recall above "
                         f"0.{card_id % 90 + 10}",
                "description": "", "criteria": "recall > 0.7" if kind == "hypothesis" else "",
                "outcome": rng.choice(["validated", "invalidated", "inconclusive"])
                if kind == "hypothesis" and slug == "done" else None,
                "conclusion": "", "timebox_seconds": rng.choice([None, 3600 * 4, 86400 * 2]),
                "clock_start": started, "clock_stop": stopped,
                "author": rng.choice(["alice", "bob", "carol"]),
                "assignee": rng.choice([None, "alice", "bob"]), "position": position,
                "archived": False, "created_at": created, "updated_at": created, "version": 1,
                "log_count": logs_per_card, "changed_seq": 0,
            })
            for n in range(logs_per_card):
                entry_id += 1
                log.append({"id": entry_id, "card_id": card_id, "author": "alice",
                            "at": created + n, "kind": "create" if n == 0 else "note",
                            "text": f"entry {n}", "data": "{}" if n else
                            '{"lane":"' + slug + '"}', "metrics": "{}"})
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "schema": SCHEMA_VERSION,
            "boards": [{"name": "main", "created_at": NOW - 400 * 86400, "lanes": lanes,
                        "cards": rows, "log": log, "phases": []}]}


def build(path: Path, cards: int, logs_per_card: int = 3) -> Path:
    """A board file at ``path`` holding ``cards`` cards with their logs."""
    if path.exists():
        path.unlink()
    store = open_store(path, clock=lambda: NOW)
    try:
        data = board_data(cards, logs_per_card)
        if cards == 0:
            data["boards"][0]["cards"] = []
        import_json(store, data)
    finally:
        store.close()
    return path
