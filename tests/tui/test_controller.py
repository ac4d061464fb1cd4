"""The board's controller without widgets: reads, the write queue, moves drawn first."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable
from pathlib import Path

from tests.helpers.clock import StepClock
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.model.records import BoardSnapshot, CardInfo, LaneInfo
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store
from tkanban.tui.control.controller import BoardController


def lane_of(store: Store, card_id: int) -> str:
    return q.get_card(store, card_id).card.lane_slug


class FakeHost:
    def __init__(self) -> None:
        self.jobs: list[asyncio.Future[None]] = []
        self.waits: list[bool] = []
        self.errors: list[str] = []
        self.frames = 0
        self.reads = 0
        self.asked: list[tuple[int, str]] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []

    def spawn(self, job: Awaitable[None]) -> None:
        self.jobs.append(asyncio.ensure_future(job))

    def waiting(self, waiting: bool) -> None:
        self.waits.append(waiting)

    def error(self, message: str) -> None:
        self.errors.append(message)

    async def frame_drawn(self) -> None:
        self.frames += 1

    async def board_read(self) -> None:
        self.reads += 1

    def ask_outcome(self, card: CardInfo, target: LaneInfo) -> None:
        self.asked.append((card.id, target.slug))

    def said(self, message: str) -> None:
        self.notes.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    async def done(self) -> None:
        await asyncio.gather(*self.jobs)


def titles(snapshot: BoardSnapshot | None, slug: str) -> list[str]:
    assert snapshot is not None
    return [c.title for lane in snapshot.lanes if lane.lane.slug == slug for c in lane.cards]


def control_for(store: Store, clock: StepClock) -> tuple[BoardController, FakeView, FakeHost]:
    view, host = FakeView(), FakeHost()
    return BoardController(store, "main", "ann", clock, view, host), view, host


class FakeView:
    """The board screen reduced to what the controller uses: a snapshot and a focused card."""

    def __init__(self) -> None:
        self.snapshot: BoardSnapshot | None = None
        self.focus: int | None = None
        self.shown: list[BoardSnapshot] = []

    @property
    def current_card(self) -> CardInfo | None:
        if self.snapshot is None:
            return None
        return next((c for lane in self.snapshot.lanes for c in lane.cards
                     if c.id == self.focus), None)

    async def apply(self, snapshot: BoardSnapshot, now: float,
                    focus_id: int | None = None) -> None:
        self.snapshot = snapshot
        self.shown.append(snapshot)
        if focus_id is not None:
            self.focus = focus_id


async def test_read_first_then_reload(store: Store, clock: StepClock) -> None:
    ops.add_card(store, "main", "first", author="ann")
    control, view, host = control_for(store, clock)
    snapshot = control.read_first()
    assert titles(snapshot, "todo") == ["first"]
    ops.add_card(store, "main", "second", author="bob")
    await control.reload()
    assert titles(view.snapshot, "todo") == ["second", "first"] or \
        titles(view.snapshot, "todo") == ["first", "second"]
    assert host.reads == 1


async def test_a_move_is_shown_before_it_is_written(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "moving", author="ann")
    control, view, host = control_for(store, clock)
    await control.reload(focus_id=card.id)
    written_when_shown: list[str] = []
    apply = view.apply

    async def watching(snapshot: BoardSnapshot, now: float, focus_id: int | None = None) -> None:
        written_when_shown.append(lane_of(store, card.id))
        await apply(snapshot, now, focus_id)

    view.apply = watching  # type: ignore[method-assign]
    control.request_move(1)
    await host.done()
    assert written_when_shown[0] == "todo", "the move was drawn before the file had it"
    assert titles(view.snapshot, "test-hypothesis") == ["moving"]
    assert lane_of(store, card.id) == "test-hypothesis"
    assert host.frames == 1 and host.errors == []


async def test_moves_run_in_order(store: Store, clock: StepClock) -> None:
    a = ops.add_card(store, "main", "a", author="ann")
    ops.add_card(store, "main", "b", author="ann")
    control, view, host = control_for(store, clock)
    await control.reload(focus_id=a.id)
    for _ in range(3):
        control.request_move(1)
    control.request_move(-1)
    await host.done()
    # three right, then one left: out of order, the left would do nothing and leave it in
    # update-model
    assert lane_of(store, a.id) == "review-hypothesis"


async def test_a_hypothesis_asks_for_its_outcome_before_done(store: Store,
                                                             clock: StepClock) -> None:
    card = ops.add_card(store, "main", "We believe", author="ann", kind="hypothesis",
                        lane="review-model")
    control, view, host = control_for(store, clock)
    await control.reload(focus_id=card.id)
    control.request_move(1)
    await host.done()
    assert host.asked == [(card.id, "done")]
    assert lane_of(store, card.id) == "review-model"


async def test_waits_for_a_locked_file_and_says_so(db_path: Path, store: Store,
                                                   clock: StepClock) -> None:
    card = ops.add_card(store, "main", "patient", author="ann")
    locked = open_store(db_path, busy_timeout=0.2)  # a short wait per attempt
    control, view, host = control_for(locked, clock)
    await control.reload(focus_id=card.id)
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(2.0, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        control.request_move(1)
        await host.done()
    finally:
        release.join()
        holder.close()
        locked.close()
    assert host.waits == [True, False]
    assert lane_of(store, card.id) == "test-hypothesis"


async def test_polling_reads_only_what_another_process_changed(db: Path | str, store: Store,
                                                               clock: StepClock) -> None:
    card = ops.add_card(store, "main", "theirs", author="bob")
    ops.add_card(store, "main", "in review", author="bob", lane="review-model")
    control, view, host = control_for(store, clock)
    await control.reload()
    shown = len(view.shown)
    await control.reload_if_changed()
    assert len(view.shown) == shown, "nothing changed: nothing read or shown"
    other = open_store(db)
    ops.move_card(other, card.id, "update-model", author="bob")
    other.close()
    before = view.snapshot
    for _ in range(100):  # a server's notice of the change comes a moment after the commit
        await control.reload_if_changed()
        if view.snapshot is not before:
            break
        await asyncio.sleep(0.05)
    assert titles(view.snapshot, "update-model") == ["theirs"]
    assert before is not None and view.snapshot is not None
    review = [lane.lane.slug for lane in before.lanes].index("review-model")
    assert view.snapshot.lanes[review].cards is before.lanes[review].cards, \
        "an untouched lane is not read again"


async def test_a_failed_write_becomes_a_notice_and_the_board_the_file(
        db_path: Path, store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "gone soon", author="ann")
    control, view, host = control_for(store, clock)
    await control.reload(focus_id=card.id)
    other = open_store(db_path)
    ops.archive_card(other, card.id, author="bob")
    other.close()
    control.request_move(1)
    await host.done()
    assert host.errors and f"#{card.id}" in host.errors[0]
    assert titles(view.snapshot, "todo") == [] and titles(view.snapshot, "test-hypothesis") == []
