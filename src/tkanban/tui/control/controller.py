"""The board's controller: the store, the one-at-a-time write queue, reload and poll, and moves
drawn before they are written. No widgets: it drives a ``BoardView`` and tells a ``Host`` what
the user should see, so it can be tested without a terminal.

Every core call runs in a thread (``call``), so a slow or locked board file never freezes the
screen; while the file is locked the host is told, and the call is tried again. Writes run in
order under one lock; after a write the board is read again and focus follows the card.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError, UnavailableError
from tkanban.core.model.records import (
    BoardSnapshot,
    CardInfo,
    LaneCards,
    LaneInfo,
    PhaseInfo,
    needs_outcome,
)
from tkanban.core.model.timebox import Clock
from tkanban.core.storage.base import Store
from tkanban.tui.control.history import Change, History
from tkanban.tui.loading import IMPORTING

T = TypeVar("T")
DONE_PAGE = 200
"""How many of Done's most recent cards the board loads at a time."""
WAIT_NOTICE_AFTER = 1.0
"""Seconds a file operation may take before the host is told the app waits for the file."""


class BoardView(Protocol):
    """The board as the controller sees it: what it shows, and showing a snapshot."""

    snapshot: BoardSnapshot | None

    @property
    def current_card(self) -> CardInfo | None: ...

    async def apply(self, snapshot: BoardSnapshot, now: float,
                    focus_id: int | None = None) -> None: ...


class Host(Protocol):
    """What the controller needs of the app around it."""

    def spawn(self, job: Awaitable[None]) -> None:
        """Run ``job`` as a write (the app waits for these before it quits)."""

    def waiting(self, waiting: bool) -> None:
        """The board file has been locked by another process for a while (or no longer)."""

    def error(self, message: str) -> None:
        """A core call failed: say so."""

    async def frame_drawn(self) -> None:
        """Return once what was just applied has been drawn."""

    async def board_read(self) -> None:
        """The board was read again: refresh what else shows it (open card panes)."""

    def ask_outcome(self, card: CardInfo, target: LaneInfo) -> None:
        """A hypothesis is moving into Done: ask for its outcome first."""

    def said(self, message: str) -> None:
        """Tell the user what happened (``undid: move #12 …``)."""

    def warn(self, message: str) -> None:
        """A soft rule is bent (a card that waits on others moves on): say so."""


Read = tuple[list[LaneInfo], dict[str, LaneCards], int, PhaseInfo | None, int]


class BoardController:
    """One board of one file, for one user."""

    def __init__(self, store: Store, board: str, user: str, clock: Clock, view: BoardView,
                 host: Host) -> None:
        self.store, self.board, self.user, self.clock = store, board, user, clock
        self.view, self.host = view, host
        self.phase: PhaseInfo | None = None
        self.unread_mentions = 0
        self.seen_version: int | None = None
        self.done_limit = DONE_PAGE
        self.lock = asyncio.Lock()
        self.history = History()
        self._waiting = False

    # --- reading -----------------------------------------------------------------------------

    def read(self, lanes: set[str] | None = None) -> Read:
        """Lane facts, the named lanes' cards (all by default), the change number, the running
        phase and the unread mentions (blocking: run it in a thread)."""
        return (*q.load_lanes(self.store, self.board, lanes, done_limit=self.done_limit),
                q.running_phase(self.store, self.board),
                q.unread_mentions(self.store, self.user, self.board))

    def read_first(self) -> BoardSnapshot | None:
        """The board read before the app runs, so that its first frame shows the cards; None
        when it cannot be read now (the app then reads it itself)."""
        try:
            version = self.store.data_version()
            infos, loaded, seq, self.phase, self.unread_mentions = self.read(None)
        except TkanbanError:
            return None
        if len(loaded) != len(infos):
            return None
        self.seen_version = version
        return BoardSnapshot(self.board, [loaded[i.slug] for i in infos], seq)

    async def reload(self, focus_id: int | None = None, lanes: set[str] | None = None,
                     seq: int | None = None, version: int | None = None) -> None:
        """Read the named lanes (every lane by default) in a thread and show them. Unnamed
        lanes keep what they show; their headers are refreshed."""
        current = self.view.snapshot
        if current is None:
            lanes = None
        if version is None:
            version = await self.call(lambda store: store.data_version())
        infos, loaded, read_seq, self.phase, self.unread_mentions = await self.call(
            lambda _: self.read(lanes))
        if current is None or lanes is None or len(current.lanes) != len(infos):
            if len(loaded) != len(infos):
                await self.reload(focus_id)
                return
            snapshot = BoardSnapshot(self.board, [loaded[i.slug] for i in infos], read_seq)
        else:
            snapshot = current.replace_lanes(loaded, infos, read_seq if seq is None else seq)
        self.seen_version = version
        await self.view.apply(snapshot, self.clock(), focus_id)
        await self.host.board_read()

    async def reload_if_changed(self) -> None:
        """Reload what another process changed, if anything (one cheap check when nothing
        did): the change numbers say which cards changed, so only their lanes are read."""
        version = await self.call(lambda store: store.data_version())
        snapshot = self.view.snapshot
        if version == self.seen_version and snapshot is not None:
            return
        if snapshot is None:
            await self.reload()
            return
        seq, changed = await self.call(q.changes_since, self.board, snapshot.seq)
        lanes = {slug for slug in changed.values() if slug is not None}
        for card_id in changed:
            if (where := snapshot.find(card_id)) is not None:
                lanes.add(snapshot.lanes[where[0]].lane.slug)
        await self.reload(lanes=lanes, seq=seq, version=version)

    async def load_more_done(self) -> None:
        """Done shows its latest cards; reaching the end of them loads older ones."""
        self.done_limit += DONE_PAGE
        await self.reload(lanes={"done"})

    # --- running core calls ------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any, quiet: bool = False,
                   **kwargs: Any) -> T:
        """Run ``fn(store, ...)`` in a thread; while the file is locked, say so and retry.
        ``quiet``: a call that is slow for another reason (a tracker's answer) does not
        say the board file is locked."""
        while True:
            task = asyncio.ensure_future(asyncio.to_thread(fn, self.store, *args, **kwargs))
            done, _ = await asyncio.wait({task}, timeout=WAIT_NOTICE_AFTER)
            if not done and not quiet:
                self._set_waiting(True)
            try:
                result = await task
            except UnavailableError:  # a locked file, a server away: try again
                self._set_waiting(True)
                await asyncio.sleep(0.5)
                continue
            self._set_waiting(False)
            return result

    def _set_waiting(self, waiting: bool) -> None:
        if waiting != self._waiting:
            self._waiting = waiting
            self.host.waiting(waiting)

    async def serial(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` after every earlier one; a core error becomes a notice."""
        async with self.lock:
            try:
                await job()
            except TkanbanError as exc:
                self.host.error(str(exc))

    def enqueue(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` in order with the other writes, off the event loop's message queue."""
        self.host.spawn(self.serial(job))

    async def write(self, fn: Callable[..., T], *args: Any, focus_id: int | None = None,
                    **kwargs: Any) -> T:
        """A core write in order with the others, then a reload focused on ``focus_id`` (by
        default the card the write returns)."""
        async with self.lock:
            result = await self.call(fn, *args, **kwargs)
            if focus_id is None and isinstance(result, CardInfo):
                focus_id = result.id
            await self.reload(focus_id=focus_id)
        return result

    # --- moves, drawn before they are written ------------------------------------------------

    def request_move(self, step: int) -> None:
        self.enqueue(lambda: self._move(step))

    async def _move(self, step: int) -> None:
        card, snapshot = self.view.current_card, self.view.snapshot
        if card is None or snapshot is None:
            return
        index = card.lane_number - 1 + step
        if not 0 <= index < len(snapshot.lanes):
            return
        target = snapshot.lanes[index].lane
        if needs_outcome(card.kind, card.outcome, card.lane_slug, target.slug):
            self.host.ask_outcome(card, target)
            return
        if warning := card.waiting_warning(target.slug):
            self.host.warn(warning)

        def move(store: Store) -> CardInfo:
            # the ORM behind the write is imported here, in the writing thread: a key pressed
            # as the board opens is drawn at once, while the write waits for the import
            with IMPORTING:
                from tkanban.core.board.cards import move_card

            return move_card(store, card.id, target.slug, author=self.user)

        await self._optimistic(card, index, 0, move)

    def request_reorder(self, step: int) -> None:
        self.enqueue(lambda: self._reorder(step))

    async def _reorder(self, step: int) -> None:
        card, snapshot = self.view.current_card, self.view.snapshot
        if card is None or snapshot is None or (where := snapshot.find(card.id)) is None:
            return
        lane_index, card_index = where
        to = card_index + step
        if not 0 <= to < len(snapshot.lanes[lane_index].cards):
            return
        position = snapshot.position_of(lane_index, to)

        def reorder(store: Store) -> CardInfo:
            with IMPORTING:
                from tkanban.core.board.cards import reorder_card

            return reorder_card(store, card.id, position, author=self.user)

        await self._optimistic(card, lane_index, to, reorder)

    async def step(self, undoing: bool) -> None:
        """Undo the latest change (or redo the latest undone one), as a new write; refused,
        and kept, when someone else changed the card since."""
        history = self.history
        stack, other = ((history.done, history.undone) if undoing
                        else (history.undone, history.done))
        verb = "undo" if undoing else "redo"
        if not stack:
            self.host.said(f"nothing to {verb}")
            return
        change = stack.pop()
        write = change.undo if undoing else change.redo
        expected = history.expected(change)
        try:
            result = await self.call(lambda store: write(store, expected))
        except TkanbanError as exc:
            stack.append(change)
            self.host.error(f"cannot {verb} {change.what}: {exc}")
            return
        history.saw(result)
        other.append(change)
        await self.reload(focus_id=change.card_id)
        self.host.said(f"{'undid' if undoing else 'redid'}: {change.what}")

    async def _optimistic(self, card: CardInfo, lane_index: int, index: int,
                          write: Callable[[Store], CardInfo]) -> None:
        """Show a move at once, then write it; on failure, show the file as it is."""
        snapshot = self.view.snapshot
        assert snapshot is not None
        shown = snapshot.with_move(card.id, lane_index, index)
        if shown is not None:
            await self.view.apply(shown, self.clock(), focus_id=card.id)
            await self.host.frame_drawn()
        try:
            result = await self.call(write)
        except TkanbanError:
            await self.reload(focus_id=card.id)
            raise
        with IMPORTING:
            from tkanban.core.board.undo import CardState, put_card
        before, after, user = CardState.of(card), CardState.of(result), self.user
        what = (f"move #{card.id} {card.lane} → {result.lane}" if card.lane != result.lane
                else f"reorder #{card.id} in {card.lane}")
        self.history.record(Change(
            what, card.id,
            undo=lambda store, v: put_card(store, card.id, before, author=user,
                                           expected_version=v),
            redo=lambda store, v: put_card(store, card.id, after, author=user,
                                           expected_version=v, why="redo")), result)
        if self.view.snapshot is not None:
            await self.view.apply(self.view.snapshot.with_card(result), self.clock(),
                                  focus_id=card.id)
