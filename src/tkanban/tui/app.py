"""The tkanban App: wiring. The controller (``controller``) reads and writes the board, the
flows (``flows``) open forms and panes, the screens post requests (``messages``); the app
connects them, runs the timers, and handles start-up, signals and quitting.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import termios
import threading
from collections.abc import Awaitable

from textual import on
from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.theme import Theme

from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError
from tkanban.core.events.changes import latest_id
from tkanban.core.model.records import DEFAULT_BOARD, CardInfo, LaneInfo
from tkanban.core.model.text import plural, visible
from tkanban.core.model.timebox import Clock
from tkanban.core.storage.base import Store
from tkanban.tui import messages as msg
from tkanban.tui.control.controller import BoardController
from tkanban.tui.control.flows import Flows
from tkanban.tui.control.rings import Rings, is_mine
from tkanban.tui.control.sync import Syncer
from tkanban.tui.loading import IMPORTING
from tkanban.tui.palette import BoardCommands
from tkanban.tui.screens.board import BoardScreen
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.help import HelpScreen
from tkanban.tui.widgets.status import StatusBar
from tkanban.user.config import Config, remember

FRAME_FLUSH = 0.01
"""Seconds given to the terminal writer to send a drawn frame before a write starts."""
SETTLE_AFTER = 0.15
"""Seconds after the board opens before the rest of the app loads in the background."""
STOP_WAIT = 5.0
"""Seconds a signal to stop waits for the changes on screen to reach the file."""


NOTICE_SECONDS = 20
"""How long the notices of the board's start (a config.toml it could not use, …) stay: long
enough to read on a slow start, where a toast's time runs from before the first frame."""
VERDICTS_AFTER = 0.3
"""Seconds after the board opens before its cards' verdict marks are read."""


class TkanbanApp(App[None]):
    """The board of one board file, for one user."""

    TITLE = "tkanban"
    COMMANDS = App.COMMANDS | {BoardCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False)]
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, store: Store, board: str = DEFAULT_BOARD, user: str = "user", *,
                 clock: Clock | None = None, poll_interval: float = 1.0,
                 own_process: bool = False, notices: list[str] | None = None,
                 config: Config | None = None, sync_interval: float | None = None,
                 tracking_uri: str | None = None) -> None:
        super().__init__()
        self.config = config or Config()
        """The user's settings: key map, theme (a theme picked in the palette is kept there
        when ``config.path`` is set)."""
        self.store = store
        self.notices = notices or []
        """What opening the file did that the user should know (a new file, an upgrade)."""
        self.own_process = own_process
        """The app is the whole process (the ``tkanban`` command), so it may tune the garbage
        collector for it (see ``_settle``) and handle SIGTERM and SIGHUP."""
        self.clock: Clock = clock or store.clock
        self.poll_interval = poll_interval
        self.mode = store.mode + (" · read-only" if store.readonly else "")
        self._alerted: set[int] = set()
        self._quitting = False
        self._waiting = False
        self._polling = self._poll_again = False
        self.board_screen = BoardScreen(StatusBar(user, self.mode))
        self.control = BoardController(store, board, user, self.clock, self.board_screen, self)
        self.syncer = Syncer(self, sync_interval, tracking_uri)
        self._marks_mode: str | None = None
        self._marked: dict[int, tuple[int, int]] = {}
        """The version and log count of each card when its verdict mark was read."""
        self._verdicts: bool | None = None
        """Whether the verdict marks are being read (None: no), and read again after."""
        self.flows = Flows(self, self.control, self.syncer)
        self.rings = Rings(self)
        if self.config.keys:
            self.set_keymap(self.config.keys)
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        elif self.config.theme:
            self.notices.append(f"config.toml: no theme named {self.config.theme!r}; "
                                "the palette's \"Change theme\" lists them")

    # --- start, timers, live changes -------------------------------------------------------

    def get_default_screen(self) -> BoardScreen:
        return self.board_screen

    def read_first(self) -> None:
        """Read the board before the app runs, so that its first frame shows the cards (rather
        than an empty board, drawn again once read). On a failure the app reads it itself."""
        snapshot = self.control.read_first()
        with contextlib.suppress(TkanbanError):
            self.rings.heard = latest_id(self.store, self.control.board)
        if snapshot is not None:
            self.board_screen.phase = self.control.phase
            self.board_screen.status.mentions = self.control.unread_mentions
            self.board_screen.preset(snapshot, self.clock())

    async def on_mount(self) -> None:
        net = sys.modules.get("tkanban.core.net")
        if net is not None:  # an earlier board in this process quit
            net.PROCESS.reopen()
        if self.board_screen.snapshot is None:
            await self.control.serial(self.control.reload)
        if self.rings.heard is None:  # what happened before the board opened rings not
            self.run_worker(self.rings.hear(), group="hear")
        now = self.clock()
        snapshot = self.board_screen.snapshot
        self._alerted = {c.id for c in snapshot.overdue_cards(now)} if snapshot else set()
        if self._alerted:
            count = len(self._alerted)
            self.notify(f"{plural(count, 'card')} {'is' if count == 1 else 'are'} past "
                        f"{'its' if count == 1 else 'their'} time box", severity="warning")
        for notice in self.notices:
            self.notify(visible(notice), markup=False, timeout=NOTICE_SECONDS)
        if self.own_process:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, self._stop_on_signal, sig)
        if self.config.path is not None:
            self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.set_interval(1.0, self.tick)
        self.set_interval(self.poll_interval, self.poll)
        loop = asyncio.get_running_loop()

        def wake() -> None:  # from the store's listening thread
            with contextlib.suppress(RuntimeError):  # the loop has closed: the app is gone
                loop.call_soon_threadsafe(self.poll)

        self.store.watch(wake)
        self.run_worker(self.syncer.start(), group="sync")
        self.set_timer(VERDICTS_AFTER, self.refresh_verdicts)  # the first frames come first
        # after the first frame has had time to reach the terminal: loading modules holds
        # the interpreter, and the thread that writes frames out would wait behind it
        self.set_timer(SETTLE_AFTER, self._settle)

    def _remember_theme(self, theme: Theme) -> None:
        """A theme picked in the palette is the theme next time (config.toml)."""
        try:
            remember("theme", theme.name, self.config.path)
        except OSError as exc:
            self.notify(visible(f"the theme is not remembered: {exc}"), markup=False,
                        severity="warning")

    def _settle(self) -> None:
        """Once the board is on screen: load the forms (here, on the event loop, as Textual
        loads its own widgets there), and in the background the ORM the writes use (half a
        second); check the whole file for damage. Then, in the app's own process, move
        everything alive (Textual, the ORM, the board) out of the cyclic garbage collector's
        sight and collect young objects less often. A full collection walking all that took
        40-80 ms on a board of 10,000 cards and landed in the middle of a frame after a key;
        young collections ran six times a frame. Dropped objects are still freed as usual;
        only cycles among the frozen ones would outlive their use, and the app lives as long
        as the process."""
        with IMPORTING:
            import tkanban.tui.forms.card
            import tkanban.tui.forms.log
            import tkanban.tui.screens.retro  # noqa: F401
        self.run_worker(self._check_integrity(), group="check")
        readonly = self.store.readonly

        def work() -> None:
            with IMPORTING:
                if not readonly:
                    import tkanban.core.board.phases
                import tkanban.core.retro.figures  # noqa: F401
            if self.own_process:
                gc.collect()
                gc.freeze()
                gc.set_threshold(20_000, 10, 10)

        threading.Thread(target=work, daemon=True).start()

    async def _check_integrity(self) -> None:
        """The full integrity check, in the background once the board is up: a damaged file
        turns the board read-only, so that writing to it cannot spread the damage."""
        problems = await self.control.call(lambda store: store.integrity_problems())
        if not problems:
            return
        self.store.mark_damaged(problems)
        self.mode = f"{self.store.mode} · read-only: damaged"
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
        _end_network_waits()

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

    def tick(self) -> None:
        """Every second: the countdown bar, and a notice when a box runs out."""
        try:
            screen = self.screen
        except ScreenStackError:  # a last tick while the app winds down
            return
        now = self.clock()
        self.board_screen.tick(now)
        if isinstance(screen, CardScreen):
            screen.tick(now)
        snapshot = self.board_screen.snapshot
        for card in snapshot.overdue_cards(now) if snapshot else ():
            if card.id not in self._alerted:
                self._alerted.add(card.id)
                self.board_screen.overdue += 1
                self.board_screen.update_status()
                message = (f"#{card.id} {visible(card.title, multiline=False)}: its time box "
                           "ran out — record the outcome (o) or extend it (t)")
                if is_mine(card, self.control.user):
                    self.rings.ring(message, "warning")
                else:
                    self.notify(message, severity="warning", timeout=10, markup=False)

    def poll(self) -> None:
        """About once a second, and whenever the store says someone changed the board: reload
        only what another process changed; show whether the board can be reached. A poll
        asked for while one runs makes that one look once more."""
        self.show_note()
        if self._polling:
            self._poll_again = True
        elif not self.control.lock.locked():
            self._polling = True
            self.run_worker(self._poll_while_asked(), group="poll")

    async def _poll_while_asked(self) -> None:
        try:
            while True:
                self._poll_again = False
                await self.control.serial(self.control.reload_if_changed)
                if not self._poll_again:
                    return
        finally:
            self._polling = False

    # --- what the controller asks of the app (controller.Host) -----------------------------

    def spawn(self, job: Awaitable[None]) -> None:
        self.run_worker(job, group="db")

    def waiting(self, waiting: bool) -> None:
        self._waiting = waiting
        self.show_note()
        if waiting:
            self.notify(self.store.wait_notice, severity="warning")

    def show_note(self) -> None:
        """The bar's note: the board cannot be reached, or its file is locked."""
        problem = self.store.problem or (
            "experiment tracker unreachable" if self.syncer.problem else None)
        note = problem or (self.store.wait_note if self._waiting else "")
        note = f"{note}…" if note else ""
        status = self.board_screen.status
        if status.note != note:
            status.note = visible(note, multiline=False)
            status.tick(self.clock())

    def error(self, message: str) -> None:
        self.notify(visible(message), severity="error", markup=False, timeout=8)

    async def frame_drawn(self) -> None:
        """Wait until the screen has drawn what was just applied: a write started sooner would
        compete with drawing the frame the user is waiting for."""
        drawn = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not drawn.done():
                drawn.set_result(None)

        self.board_screen.call_after_refresh(done)
        await asyncio.wait({drawn}, timeout=1.0)  # a slow frame must not hold the write back
        await asyncio.sleep(FRAME_FLUSH)

    def refresh_verdicts(self) -> None:
        """Read each hypothesis's verdict mark in the background; redraw the lanes if one
        changed (a run synced, a run unlinked, a metric logged, an outcome recorded)."""
        if self._verdicts is not None:  # one read at a time; the latest change read after
            self._verdicts = True
            return
        self._verdicts = False

        async def work() -> None:
            try:
                while True:
                    try:  # another weighing of the evidence changes every card's verdict
                        mode = await self.control.call(q.board_setting, self.control.board,
                                                       "evidence", quiet=True)
                    except TkanbanError:
                        return
                    if mode != self._marks_mode:
                        self._marked, self._marks_mode = {}, mode
                    snapshot = self.board_screen.snapshot
                    shown = {} if snapshot is None else {
                        c.id: (c.version, c.log_count) for lane in snapshot.lanes
                        for c in lane.cards if c.kind == "hypothesis" and c.criteria}
                    # a card's verdict changes only with the card: its log (runs synced,
                    # linked, pinned, metrics typed) or its outcome and criteria
                    changed = [i for i, seen in shown.items() if self._marked.get(i) != seen]
                    try:
                        found = await self.control.call(q.verdict_marks, self.control.board,
                                                        changed, quiet=True)
                    except TkanbanError:
                        return
                    cache = self.board_screen.render_cache
                    marks = {i: m for i, m in cache.verdicts.items() if i in shown}
                    marks.update({i: found[i] for i in changed if i in found})
                    for i in changed:
                        if i not in found:
                            marks.pop(i, None)
                    self._marked = {i: shown[i] for i in shown}
                    if marks != cache.verdicts:
                        cache.verdicts = marks
                        for lane in self.board_screen.lanes:
                            lane.view.refresh()
                    if not self._verdicts:
                        return
                    self._verdicts = False
            finally:
                self._verdicts = None

        self.run_worker(work(), group="verdicts")

    async def board_read(self) -> None:
        """After a reload: the bar's phase and mentions, every open card pane, the verdict
        marks."""
        self.refresh_verdicts()
        control = self.control
        self.board_screen.phase = control.phase
        self.board_screen.status.mentions = control.unread_mentions
        self.board_screen.update_status()
        await self.rings.hear()
        for screen in self.screen_stack:
            if isinstance(screen, CardScreen):
                try:
                    detail = await control.call(q.get_card, screen.card_id)
                except TkanbanError:
                    continue
                screen.show(detail, self.clock())
                screen.status.set_state(card=detail.card, phase=control.phase, overdue=0,
                                        now=self.clock(), mentions=control.unread_mentions)

    def ask_outcome(self, card: CardInfo, target: LaneInfo) -> None:
        self.call_later(self.flows.outcome_form, card, target)

    def said(self, message: str) -> None:
        self.notify(visible(message), markup=False, timeout=4)

    def warn(self, message: str) -> None:
        self.notify(visible(message), severity="warning", markup=False, timeout=6)

    def show_mentions_count(self, count: int) -> None:
        self.board_screen.status.mentions = count
        self.board_screen.status.tick(self.clock())

    # --- requests from the screens ---------------------------------------------------------

    @on(msg.MoveCard)
    def _move(self, message: msg.MoveCard) -> None:
        if self.flows.writable():
            self.control.request_move(message.step)

    @on(msg.ReorderCard)
    def _reorder(self, message: msg.ReorderCard) -> None:
        if self.flows.writable():
            self.control.request_reorder(message.step)

    @on(msg.Request)
    def _request(self, request: msg.Request) -> None:
        self.flows.answer(request)

    @on(msg.Reload)
    def _reload(self, message: msg.Reload) -> None:
        async def job() -> None:
            await self.control.reload()
            if message.announce:
                self.notify("reloaded from the board file", timeout=2)

        self.control.enqueue(job)

    @on(msg.LoadMoreDone)
    def _load_more_done(self, message: msg.LoadMoreDone) -> None:
        async def job() -> None:
            await self.control.load_more_done()
            result = message.then()
            if result is not None:
                await result

        self.control.enqueue(job)

    @on(msg.Undo)
    def _undo(self, message: msg.Undo) -> None:
        if self.flows.writable():
            self.control.enqueue(lambda: self.control.step(undoing=not message.redo))

    @on(msg.ShowHelp)
    def _help(self) -> None:
        self.action_help()

    @on(msg.FindMentions)
    async def _find_mentions(self, message: msg.FindMentions) -> None:
        found = await self.control.call(q.cards_mentioning, self.control.board, message.users)
        await self.board_screen.show_mentioned(message.users, found)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.config.keys))

    async def action_quit(self) -> None:
        """Quit once the changes already on screen are in the file: a move is drawn before it
        is written, and quitting at once used to drop it. Quitting again does not wait. What
        the workers wait for outside (a tracker) is ended at once."""
        _end_network_waits()
        pending = [w for w in self.workers if w.group == "db" and not w.is_finished]
        if not pending or self._quitting:
            self.exit()
            return
        self._quitting = True

        async def when_saved() -> None:
            await self.workers.wait_for_complete(pending)
            self.exit()

        self.run_worker(when_saved(), group="quit")

    def write_to_terminal(self, sequence: str) -> None:
        """Send ``sequence`` to the terminal in order with the frames, as ``App.bell`` sends
        the bell: Textual has no public way to, so this reaches its driver, in this one
        place."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def on_unmount(self) -> None:
        self.store.close()


def _end_network_waits() -> None:
    """End the requests the background sync has under way (a slow tracker must not keep the
    board from quitting), if it has loaded the network module at all."""
    net = sys.modules.get("tkanban.core.net")
    if net is not None:
        net.PROCESS.close()


def _terminal_gone() -> bool:
    """Whether the terminal the app draws on has hung up (closed window, dropped SSH)."""

    stream = sys.__stderr__  # where Textual draws
    try:
        termios.tcgetattr(stream.fileno() if stream else -1)
    except (termios.error, OSError, ValueError):
        return True
    return False
