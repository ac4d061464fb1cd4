"""The board in a Pilot: open it on a store, press keys and let it settle, seed cards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from textual.pilot import Pilot

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage.base import Store
from tkanban.tui.app import TkanbanApp


def links(store: Store, card_id: int) -> list[tuple[str, int]]:
    return list(q.get_card(store, card_id).card.links)


def seed(store: Store, *titles: str, lane: str = "todo") -> list[int]:
    return [ops.add_card(store, "main", t, author="ann", lane=lane).id for t in titles]


@asynccontextmanager
async def board(store: Store, size: tuple[int, int], user: str = "alice",
                clock: Callable[[], float] | None = None) -> AsyncIterator[
                    tuple[TkanbanApp, Pilot]]:
    app = TkanbanApp(store, "main", user, clock=clock or store.clock, poll_interval=3600)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        yield app, pilot


LANE_NAMES = ["To do", "Test hypothesis", "Code review hypothesis", "Update model",
              "Code review update model", "Done"]


async def settle(app: TkanbanApp, pilot: Pilot) -> None:
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(app: TkanbanApp, pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


SIZES = [(120, 35), (80, 24)]


def lanes_in_file(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for card in q.list_cards(store):
        found.setdefault(card.lane_slug, []).append(card.title)
    return found
