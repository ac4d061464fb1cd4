"""The tkanban App: wiring, timers, and every write, done one at a time off the event loop.

Keys become requests; requests run in order (one lock) in a worker, each core call in a thread,
so a slow or locked board file never freezes the screen. After a write the board reloads and
focus follows the card.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.content import Content

from tkanban.core import queries as q
from tkanban.core.errors import LockedError, TkanbanError
from tkanban.core.hypothesis import evaluate, parse_criteria, suggests_validated
from tkanban.core.records import (
    DEFAULT_BOARD,
    DONE,
    BoardSnapshot,
    CardInfo,
    LaneInfo,
    PhaseInfo,
    needs_outcome,
)
from tkanban.core.store import Store
from tkanban.core.text import visible
from tkanban.core.timebox import Clock, countdown, system_clock
from tkanban.tui.board import BoardScreen
from tkanban.tui.commands import BoardCommands
from tkanban.tui.detail import CardScreen
from tkanban.tui.help import HelpScreen, MentionsScreen
from tkanban.tui.render import literal
from tkanban.tui.status import StatusBar

if TYPE_CHECKING:
    from tkanban.core.retro import Retro
    from tkanban.tui.dialogs import ReloadRequested

T = TypeVar("T")


class _OnFirstUse:
    """A module imported when first used: the board reads through ``queries`` and is on
    screen before the ORM behind the writes (about half a second of imports) or the forms
    have loaded."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.load(), attr)

    def load(self) -> Any:
        """The module, imported under one lock: two threads importing the ORM's package at
        once can each find the other's half-initialised module and fail."""
        if self._module is None:
            with _LOADING:
                self._module = importlib.import_module(self._name)
        return self._module


_LOADING = threading.Lock()


ops = _OnFirstUse("tkanban.core.board")
phases = _OnFirstUse("tkanban.core.phase")
dialogs = _OnFirstUse("tkanban.tui.dialogs")
retro = _OnFirstUse("tkanban.core.retro")
retro_screens = _OnFirstUse("tkanban.tui.retro")
DONE_PAGE = 200
"""How many of Done's most recent cards the board loads at a time."""
FRAME_FLUSH = 0.01
"""Seconds given to the terminal writer to send a drawn frame before a write starts."""
SETTLE_AFTER = 0.15
"""Seconds after the board opens before the rest of the app loads in the background."""
STOP_WAIT = 5.0
"""Seconds a signal to stop waits for the changes on screen to reach the file."""
WAIT_NOTICE_AFTER = 1.0
"""Seconds a file operation may take before the bar says the app is waiting for the file."""


class TkanbanApp(App[None]):
    """The board of one board file, for one user."""

    TITLE = "tkanban"
    COMMANDS = App.COMMANDS | {BoardCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, store: Store, board: str = DEFAULT_BOARD, user: str = "user", *,
                 clock: Clock | None = None, poll_interval: float = 1.0,
                 own_process: bool = False, notices: list[str] | None = None) -> None:
        super().__init__()
        self.store = store
        self.notices = notices or []
        """What opening the file did that the user should know (a new file, an upgrade)."""
        self.own_process = own_process
        """The app is the whole process (the ``tkanban`` command), so it may tune the garbage
        collector for it (see ``_settle``)."""
        self.board = board
        self.user = user
        self.clock: Clock = clock or store.clock
        self.poll_interval = poll_interval
        self.mode = store.storage.label + (" · read-only" if store.readonly else "")
        self.phase: PhaseInfo | None = None
        self.seen_version: int | None = None
        self.unread_mentions = 0
        self._lock = asyncio.Lock()
        self._alerted: set[int] = set()
        self._waiting = False
        self._quitting = False
        self.done_limit = DONE_PAGE
        self.board_screen = BoardScreen(StatusBar(user, self.mode))

    # --- start, timers, live changes -----------------------------------------------------------

    def get_default_screen(self) -> BoardScreen:
        return self.board_screen

    def read_first(self) -> None:
        """Read the board before the app runs, so that its first frame shows the cards (rather
        than an empty board, drawn again once read). On a failure the app reads it itself."""
        try:
            version = self.store.data_version()
            infos, loaded, seq, self.phase, self.unread_mentions = self._read(None)
        except TkanbanError:
            return
        if len(loaded) == len(infos):
            self.seen_version = version
            self.board_screen.status.mentions = self.unread_mentions
            self.board_screen.preset(
                BoardSnapshot(self.board, [loaded[i.slug] for i in infos], seq), self.clock())

    async def on_mount(self) -> None:
        if self.board_screen.snapshot is None:
            await self._serial(self.reload)
        now = self.clock()
        snapshot = self.board_screen.snapshot
        self._alerted = {c.id for c in snapshot.overdue_cards(now)} if snapshot else set()
        if self._alerted:
            self.notify(f"{len(self._alerted)} card(s) are past their time box", severity="warning")
        for notice in self.notices:
            self.notify(visible(notice), markup=False, timeout=8)
        if self.own_process:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self._stop_on_signal, sig)
        self.set_interval(1.0, self.tick)
        self.set_interval(self.poll_interval, self.poll)
        # after the first frame has had time to reach the terminal: loading modules holds
        # the interpreter, and the thread that writes frames out would wait behind it
        self.set_timer(SETTLE_AFTER, self._settle)

    def _settle(self) -> None:
        """Once the board is on screen: load the forms (here, on the event loop, as Textual
        loads its own widgets there), and in the background the ORM the writes use (half a
        second). Then, in the app's own process, move everything alive (Textual, the ORM, the
        board) out of the cyclic garbage collector's sight and collect young objects less
        often. A full collection walking all that took 40-80 ms on a board of 10,000 cards
        and landed in the middle of a frame after a key; young collections ran six times a
        frame. Dropped objects are still freed as usual; only cycles among the frozen ones
        would outlive their use, and the app lives as long as the process."""
        dialogs.load()
        retro_screens.load()
        self.run_worker(self._check_integrity(), group="check")

        def work() -> None:
            if not self.store.readonly:
                phases.load()
            retro.load()
            if self.own_process:
                gc.collect()
                gc.freeze()
                gc.set_threshold(20_000, 10, 10)

        threading.Thread(target=work, daemon=True).start()

    async def _check_integrity(self) -> None:
        """The full integrity check, in the background once the board is up: a damaged file
        turns the board read-only, so that writing to it cannot spread the damage."""
        problems = await self.call(lambda store: store.integrity_problems())
        if not problems:
            return
        self.store.mark_damaged(problems)
        self.mode = f"{self.store.storage.label} · read-only: damaged"
        self.board_screen.status.mode = self.mode
        self.board_screen.status.tick(self.clock())
        self.notify(visible(
            f"The board file is damaged ({problems[0]}). The board is read-only now, so the "
            "damage cannot spread. 'tkanban check' tells what is wrong; restore a copy made "
            "by 'tkanban backup', or save what still reads with 'tkanban export' and import "
            "it into a new file."), severity="error", markup=False, timeout=60)

    def _stop_on_signal(self, signum: int) -> None:
        """SIGTERM, or SIGHUP from a closed terminal or a dropped SSH session: let the write in
        flight finish (it commits or rolls back whole), then leave, restoring the terminal."""
        pending = [w for w in self.workers if w.group == "db" and not w.is_finished]

        async def stop() -> None:
            try:
                if pending:
                    await asyncio.wait_for(self.workers.wait_for_complete(pending),
                                           timeout=STOP_WAIT)
            finally:
                if _terminal_gone():
                    # nothing to restore, and Textual's farewell to a hung-up terminal blocks
                    self.store.close()
                    os._exit(128 + signum)
                self.exit(return_code=128 + signum)

        self.run_worker(stop(), group="quit")

    def _all_cards(self) -> list[CardInfo]:
        snapshot = self.board_screen.snapshot
        return [c for lane in snapshot.lanes for c in lane.cards] if snapshot else []

    def tick(self) -> None:
        """Every second: the countdown bar, and a notice when a box runs out."""
        now = self.clock()
        self.board_screen.tick(now)
        if isinstance(self.screen, CardScreen):
            self.screen.tick(now)
        snapshot = self.board_screen.snapshot
        for card in snapshot.overdue_cards(now) if snapshot else ():
            if card.id not in self._alerted:
                self._alerted.add(card.id)
                self.board_screen.overdue += 1
                self.board_screen.update_status()
                self.notify(Content(f"#{card.id} ") + literal(card.title, multiline=False)
                            + Content(": its time box ran out — record the outcome (o) or "
                                      "extend it (t)"), severity="warning", timeout=10)

    def poll(self) -> None:
        """About once a second: reload only when another process changed the file."""
        if not self._lock.locked():
            self.run_worker(self._serial(self._reload_if_changed), group="poll",
                            exclusive=True)

    async def _reload_if_changed(self) -> None:
        version = await self.call(lambda store: store.data_version())
        snapshot = self.board_screen.snapshot
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

    async def reload(self, focus_id: int | None = None, lanes: set[str] | None = None,
                     seq: int | None = None, version: int | None = None) -> None:
        """Read the named lanes (every lane by default) in a thread and show them, with the
        open card pane. Unnamed lanes keep what they show; their headers are refreshed."""
        current = self.board_screen.snapshot
        if current is None:
            lanes = None
        if version is None:
            version = await self.call(lambda store: store.data_version())

        infos, loaded, read_seq, self.phase, self.unread_mentions = await self.call(
            lambda _: self._read(lanes))
        if current is None or lanes is None or len(current.lanes) != len(infos):
            if len(loaded) != len(infos):
                await self.reload(focus_id)
                return
            snapshot = BoardSnapshot(self.board, [loaded[i.slug] for i in infos], read_seq)
        else:
            snapshot = current.replace_lanes(loaded, infos, read_seq if seq is None else seq)
        self.seen_version = version
        self.board_screen.status.mentions = self.unread_mentions
        await self.board_screen.apply(snapshot, self.clock(), focus_id)
        for screen in self.screen_stack:
            if isinstance(screen, CardScreen):
                try:
                    detail = await self.call(q.get_card, screen.card_id)
                except TkanbanError:
                    continue
                screen.show(detail, self.clock())
                screen.status.set_state(card=detail.card, phase=self.phase, overdue=0,
                                        now=self.clock(), mentions=self.unread_mentions)

    def _read(self, lanes: set[str] | None) -> tuple[Any, ...]:
        """Lane facts, the named lanes' cards (all by default), the change number, the running
        phase and the unread mentions."""
        return (*q.load_lanes(self.store, self.board, lanes, done_limit=self.done_limit),
                q.running_phase(self.store, self.board),
                q.unread_mentions(self.store, self.user, self.board))

    async def load_more_done(self) -> None:
        """Done shows its latest cards; reaching the end of them loads older ones."""
        self.done_limit += DONE_PAGE
        await self.reload(lanes={DONE})

    def request_reload(self, announce: bool = False) -> None:
        async def job() -> None:
            await self.reload()
            if announce:
                self.notify("reloaded from the board file", timeout=2)

        self.enqueue(job)

    # --- running core calls --------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(store, ...)`` in a thread; while the file is locked, say so and retry."""
        while True:
            task = asyncio.ensure_future(asyncio.to_thread(fn, self.store, *args, **kwargs))
            done, _ = await asyncio.wait({task}, timeout=WAIT_NOTICE_AFTER)
            if not done:
                self._show_waiting(True)
            try:
                result = await task
            except LockedError:
                self._show_waiting(True)
                await asyncio.sleep(0.5)
                continue
            self._show_waiting(False)
            return result

    def _show_waiting(self, waiting: bool) -> None:
        if waiting == self._waiting:
            return
        self._waiting = waiting
        self.board_screen.status.note = "waiting for the board file…" if waiting else ""
        self.board_screen.status.tick(self.clock())
        if waiting:
            self.notify("waiting for the board file: another process holds its lock; "
                        "your change is kept and will be saved", severity="warning")

    async def _serial(self, job: Callable[[], Awaitable[None]]) -> None:
        async with self._lock:
            try:
                await job()
            except TkanbanError as exc:
                self.notify(visible(str(exc)), severity="error", markup=False, timeout=8)

    async def action_quit(self) -> None:
        """Quit once the changes already on screen are in the file: a move is drawn before it
        is written, and quitting at once used to drop it. Quitting again does not wait."""
        pending = [w for w in self.workers if w.group == "db" and not w.is_finished]
        if not pending or self._quitting:
            self.exit()
            return
        self._quitting = True

        async def when_saved() -> None:
            await self.workers.wait_for_complete(pending)
            self.exit()

        self.run_worker(when_saved(), group="quit")

    def enqueue(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` after every earlier one, off the event loop's message queue."""
        self.run_worker(self._serial(job), group="db")

    async def write(self, fn: Callable[..., T], *args: Any, focus_id: int | None = None,
                    **kwargs: Any) -> T:
        """A core write in order with the others, then a reload focused on ``focus_id``."""
        async with self._lock:
            result = await self.call(fn, *args, **kwargs)
            card_id = getattr(result, "id", None) if focus_id is None else focus_id
            await self.reload(focus_id=card_id if isinstance(result, CardInfo) else focus_id)
        return result

    def _writable(self) -> bool:
        if self.store.readonly:
            self.notify(f"{visible(self.store.readonly_reason)}: nothing can be changed",
                        severity="error", markup=False)
            return False
        return True

    # --- moves -----------------------------------------------------------------------------------

    def request_move(self, step: int) -> None:
        if self._writable():
            self.enqueue(partial(self._move, step))

    async def _move(self, step: int) -> None:
        screen = self.board_screen
        card, snapshot = screen.current_card, screen.snapshot
        if card is None or snapshot is None:
            return
        index = card.lane_number - 1 + step
        if not 0 <= index < len(snapshot.lanes):
            return
        target = snapshot.lanes[index].lane
        if needs_outcome(card.kind, card.outcome, card.lane_slug, target.slug):
            self.call_later(self.open_outcome_form, card, move_to=target)
            return
        # ops is looked up in the writing thread: a key pressed as the board opens is drawn
        # at once, while the write waits for the ORM still loading
        await self._optimistic(card, index, 0, lambda store: ops.move_card(
            store, card.id, target.slug, author=self.user))

    def request_reorder(self, step: int) -> None:
        if self._writable():
            self.enqueue(partial(self._reorder, step))

    async def _reorder(self, step: int) -> None:
        screen = self.board_screen
        card, snapshot = screen.current_card, screen.snapshot
        if card is None or snapshot is None or (where := snapshot.find(card.id)) is None:
            return
        li, ci = where
        to = ci + step
        if not 0 <= to < len(snapshot.lanes[li].cards):
            return
        position = snapshot.position_of(li, to)
        await self._optimistic(card, li, to, lambda store: ops.reorder_card(
            store, card.id, position, author=self.user))

    async def _frame_drawn(self) -> None:
        """Wait until the screen has drawn what was just applied: a write started sooner would
        compete with drawing the frame the user is waiting for."""
        drawn = asyncio.get_running_loop().create_future()
        self.board_screen.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
        await asyncio.wait({drawn}, timeout=1.0)  # a slow frame must not hold the write back
        await asyncio.sleep(FRAME_FLUSH)

    async def _optimistic(self, card: CardInfo, lane_index: int, index: int,
                          write: Callable[..., CardInfo]) -> None:
        """Show a move at once, then write it; on failure, show the file as it is."""
        screen = self.board_screen
        assert screen.snapshot is not None
        shown = screen.snapshot.with_move(card.id, lane_index, index)
        if shown is not None:
            await screen.apply(shown, self.clock(), focus_id=card.id)
            await self._frame_drawn()
        try:
            result = await self.call(write)
        except TkanbanError:
            await self.reload(focus_id=card.id)
            raise
        if screen.snapshot is not None:
            await screen.apply(screen.snapshot.with_card(result), self.clock(),
                               focus_id=card.id)

    # --- forms and panes -------------------------------------------------------------------------

    def open_card_form(self, card: CardInfo | None = None, *, lane: LaneInfo | None = None) -> None:
        if not self._writable():
            return
        if card is not None:
            async def save(values: dict[str, Any]) -> None:
                await self.write(ops.edit_card, card.id, author=self.user, **values)

            self.push_screen(dialogs.CardForm(save, lane_name=card.lane, card=card))
            return
        assert lane is not None

        async def add(values: dict[str, Any]) -> None:
            values.pop("expected_version", None)
            await self.write(ops.add_card, self.board, author=self.user, lane=lane.slug,
                             **values)

        self.push_screen(dialogs.CardForm(add, lane_name=lane.name))

    async def on_reload_requested(self, message: ReloadRequested) -> None:
        if message.form.card is not None:
            detail = await self.call(q.get_card, message.form.card.id)
            dialogs.fill_card_form(message.form, detail.card)
            self.notify("their version is loaded; your edit was discarded", timeout=4)

    def open_log_form(self, card: CardInfo) -> None:
        if not self._writable():
            return

        async def save(values: dict[str, Any]) -> None:
            await self.write(ops.add_log, card.id, values["text"], author=self.user,
                             metrics=values["metrics"], focus_id=card.id)

        criteria = parse_criteria(card.criteria) if card.criteria else []
        self.push_screen(dialogs.LogForm(save, card=card, criteria=criteria))

    def open_timebox_form(self, card: CardInfo, hint: str = "") -> None:
        if not self._writable():
            return

        async def save(values: dict[str, Any]) -> None:
            await self.write(ops.set_timebox, card.id, values["seconds"], author=self.user,
                             reason=values["reason"])

        self.push_screen(dialogs.TimeboxForm(save, card=card, hint=hint))

    def open_outcome_form(self, card: CardInfo, move_to: LaneInfo | None = None) -> None:
        if not self._writable():
            return
        if card.kind != "hypothesis":
            self.notify("a task has no outcome: move it to Done when it is finished",
                        severity="warning")
            return

        async def save(values: dict[str, Any]) -> None:
            if move_to is not None:
                await self.write(ops.move_card, card.id, move_to.slug, author=self.user,
                                 outcome=values["outcome"], conclusion=values["conclusion"])
            else:
                await self.write(ops.set_outcome, card.id, values["outcome"],
                                 values["conclusion"], author=self.user)

        async def suggest() -> None:
            detail = await self.call(q.get_card, card.id)
            statuses = evaluate(detail.criteria, detail.latest_metrics)
            reason = ("A hypothesis enters Done with its outcome. Disproving it counts as "
                      "learning too." if move_to else "")
            self.push_screen(dialogs.OutcomeForm(save, card=card, reason=reason,
                                         suggested="validated" if suggests_validated(statuses)
                                         else None))

        self.run_worker(suggest(), group="forms")

    def confirm_archive(self, card: CardInfo) -> None:
        if not self._writable():
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                self.enqueue(partial(self._archive, card))

        question = Content("Archive ") + Content.styled(f"#{card.id} ", "bold") + literal(
            card.title, "bold") + Content("?\nIt leaves the board; its log stays in the file.")
        self.push_screen(dialogs.ConfirmDialog(question), answered)

    async def _archive(self, card: CardInfo) -> None:
        await self.call(ops.archive_card, card.id, author=self.user)
        await self.reload()
        self.notify(f"#{card.id} archived", timeout=3)

    def open_detail(self, card: CardInfo) -> None:
        async def job() -> None:
            detail = await self.call(q.get_card, card.id)
            status = StatusBar(self.user, self.mode)
            status.set_state(card=detail.card, phase=self.phase, overdue=0, now=self.clock(),
                             mentions=self.unread_mentions)
            await self.push_screen(CardScreen(detail, status, self.clock()))
            if detail.card.overdue(self.clock()):
                self._offer_wrap_up(detail.card)

        self.run_worker(job(), group="forms")

    def _offer_wrap_up(self, card: CardInfo) -> None:
        left = card.remaining(self.clock()) or 0
        question = Content.styled("This card's time box ran out ", "bold") + Content(
            f"({countdown(left)}).\n") + Content(
            "Wrap it up: yes records the outcome" if card.kind == "hypothesis"
            else "Wrap it up: yes moves it on") + Content("; no extends the box with a reason.")

        def answered(yes: bool | None) -> None:
            if yes and card.kind == "hypothesis":
                self.open_outcome_form(card)
            elif yes:
                self.notify("move it to Done with L, or extend it with t", timeout=5)
            elif yes is False:
                self.open_timebox_form(card, hint="Extend the box: the reason goes into the log.")

        self.push_screen(dialogs.ConfirmDialog(question), answered)

    def open_mentions(self) -> None:
        async def job() -> None:
            found = await self.call(q.mentions_of, self.user, self.board)
            if found and not self.store.readonly:
                await self.call(ops.mark_mentions_seen, self.user, found[0].entry.id)
            self.unread_mentions = 0
            self.board_screen.status.mentions = 0
            self.board_screen.status.tick(self.clock())

            async def chosen(card_id: int | None) -> None:
                if card_id is not None:
                    await self._serial(partial(self.reload, card_id))
                    card = next((c for c in self._all_cards() if c.id == card_id), None)
                    if card is not None:
                        self.open_detail(card)
                    else:
                        self.notify(f"#{card_id} is no longer on the board", severity="warning")

            self.push_screen(MentionsScreen(self.user, found), chosen)

        self.run_worker(job(), group="forms")

    # --- phases, help, palette -------------------------------------------------------------------

    def open_phase_form(self, ending: bool) -> None:
        if not self._writable():
            return
        if ending and self.phase is None:
            self.notify("no phase is running", severity="warning")
            return
        if not ending and self.phase is not None:
            self.notify(f"phase {visible(self.phase.name)} is running: end it first",
                        severity="warning", markup=False)
            return

        async def save(values: dict[str, Any]) -> None:
            if ending:
                await self.write(phases.end_phase, self.board, values["decision"], values["note"],
                                 author=self.user)
            else:
                await self.write(phases.start_phase, self.board, values["name"], values["seconds"],
                                 values["goal"], author=self.user)

        self.push_screen(dialogs.PhaseForm(save, ending=self.phase.name if ending and self.phase
                                   else None))

    def show_retro(self, month: str | None = None, step: int = 0) -> None:
        """Open the retro for ``month`` moved by ``step`` months (this month by default)."""

        def compute_retro() -> Retro:
            year, mon = retro.parse_month(month) if month else retro.current_month(self.clock())
            year, mon = retro.shift_month(year, mon, step)
            cards, lanes = q.history(self.store, self.board)
            return retro.compute(cards, lanes, q.phase_refs(self.store, self.board), year, mon,
                           self.clock())

        async def job() -> None:
            result = await self.call(lambda _: compute_retro())
            if isinstance(self.screen, retro_screens.RetroScreen):
                self.screen.show(result)
            else:
                await self.push_screen(retro_screens.RetroScreen(result))

        self.run_worker(job(), group="forms")

    def open_wip_form(self, lane: LaneInfo) -> None:
        if not self._writable():
            return

        async def save(values: dict[str, Any]) -> None:
            await self.write(ops.set_wip_limit, self.board, lane.slug, values["limit"])

        self.push_screen(dialogs.WipForm(save, lane=lane))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def palette_action(self, action: str) -> None:
        if action == "retro":
            self.show_retro()
        elif action in ("start_phase", "end_phase"):
            self.open_phase_form(ending=action == "end_phase")
        elif action in ("move_next", "move_previous"):
            self.request_move(1 if action == "move_next" else -1)
        elif action == "quit":
            await self.action_quit()
        else:
            await self.board_screen.run_action(action)

    def on_unmount(self) -> None:
        self.store.close()


def _terminal_gone() -> bool:
    """Whether the terminal the app draws on has hung up (closed window, dropped SSH)."""
    import sys
    import termios

    stream = sys.__stderr__  # where Textual draws
    try:
        termios.tcgetattr(stream.fileno() if stream else -1)
    except (termios.error, OSError, ValueError):
        return True
    return False


def run_board(db: str | None, board: str | None, user: str, storage: str = "auto") -> int:
    """Open the board file and run the app; file problems are one line on stderr, exit 1.
    A missing file or board is created, and the board says so."""
    import sys

    from tkanban.paths import default_db_path, resolve_db_path

    path: Path = resolve_db_path(db)
    if not db and not os.environ.get("TKANBAN_DB") and path == default_db_path():
        path.parent.mkdir(parents=True, exist_ok=True)
    name = board or DEFAULT_BOARD
    notices = []
    try:
        existed = path.exists() and path.stat().st_size > 0
        # A short wait per attempt: the app itself keeps retrying, and says it is waiting.
        store = Store.open(path, clock=system_clock, storage=storage, busy_timeout=2.0)
        if not q.board_exists(store, name):
            ops.ensure_board(store, name)
            notices.append(f"created a new board file: {path}" if not existed
                           else f"created the board {name!r} in {path}")
    except TkanbanError as exc:
        print(f"tkanban: error: {visible(str(exc), multiline=False)}", file=sys.stderr)
        return 1
    if store.upgrade_backup is not None:
        notices.append("the board file was upgraded to this tkanban's format; the file as it "
                       f"was is kept at {store.upgrade_backup}")
    app = TkanbanApp(store, name, user, own_process=True, notices=notices,
                     poll_interval=2.0 if store.storage.network else 1.0)
    app.read_first()
    app.run()
    return app.return_code or 0
