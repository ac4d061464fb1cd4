"""Experiment runs in the board: the background sync that brings their numbers in while the
board is open (a worker thread, never the event loop). The form that links a run is
``forms.link``, loaded on first use like every form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from textual.notifications import SeverityLevel

from tkanban.core.board.reads import board_setting
from tkanban.core.errors import TkanbanError
from tkanban.core.model.text import visible
from tkanban.core.runs.links import board_tracking_uri, links_of
from tkanban.core.storage.base import Store
from tkanban.tui.control.controller import BoardController
from tkanban.tui.loading import IMPORTING
from tkanban.tui.screens.board import BoardScreen

if TYPE_CHECKING:
    from tkanban.core.runs.sync import SyncReport


class Host(Protocol):
    """What the sync needs of the app that holds it."""

    control: BoardController
    store: Store
    board_screen: BoardScreen

    def set_interval(self, interval: float, callback: Any = None) -> Any: ...

    def set_timer(self, delay: float, callback: Any = None) -> Any: ...

    def run_worker(self, work: Any, name: str | None = "", group: str = "default") -> Any: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def show_note(self) -> None:
        """Show on the bar what keeps the board from being current (``Syncer.problem``)."""

    def poll(self) -> None:
        """Read what changed on the board now."""

DEFAULT_INTERVAL = 60.0
"""Seconds between two background syncs, unless the board or --sync-interval says."""
FIRST_SYNC_AFTER = 0.5
"""Seconds after the board opens before its first sync: its first frames come first."""


class Syncer:
    """Syncs the board's runs every ``interval`` seconds while it is open. A tracker that
    cannot be reached is said once, in a notice and on the bar, and the board goes on; when
    it answers again the next sync catches up."""

    def __init__(self, app: Host, interval: float | None,
                 tracking_uri: str | None) -> None:
        self.app = app
        self.interval = interval
        self.tracking_uri = tracking_uri
        self.problem: str | None = None
        """Why the last sync could not read every run (shown on the bar)."""
        self.syncs = 0
        self.running = False
        self._warned: set[str] = set()
        """What a run's answer had left out or cleaned, said once each."""
        self._idle_at: int | None = None
        """The board's change number when it last had nothing to sync."""

    async def start(self) -> None:
        """Sync every ``interval`` seconds (the board's setting, else a minute). A board
        with no runs and no tracker only looks whether it has some now: nothing of a
        tracker is loaded for it."""
        control = self.app.control
        if self.interval is None:
            try:
                setting = await control.call(_interval_of, control.board)
            except TkanbanError:
                setting = None
            self.interval = setting or DEFAULT_INTERVAL
        self.app.set_interval(self.interval, self.sync)
        self.app.set_timer(FIRST_SYNC_AFTER, self.sync)

    def sync(self) -> None:
        """Sync now, unless a sync is under way (a slow tracker skips a tick)."""
        if not self.app.store.readonly and not self.running:
            self.running = True
            self.app.run_worker(self._sync(), group="sync")

    async def _sync(self) -> None:
        try:
            await self._sync_once()
        finally:
            self.running = False

    async def _sync_once(self) -> None:
        control = self.app.control
        if not self.tracking_uri:
            try:  # nothing to sync stays so until the board changes: asked of it only then
                version = await control.call(lambda store: store.data_version())
                if version == self._idle_at:
                    return
                runs = await control.call(links_of, control.board)
                if not runs and not await control.call(board_tracking_uri, control.board):
                    self._idle_at = version
                    return
            except TkanbanError:
                return
            self._idle_at = None
        report: SyncReport | None = None
        try:
            report = await control.call(_sync_in_thread, control.board, self.tracking_uri,
                                        quiet=True)
            problems = report.problems
        except TkanbanError as exc:
            problems = [str(exc)]
        self.syncs += 1
        problem = problems[0] if problems else None
        if problem != self.problem:
            if problem is not None:
                self.app.notify(visible(f"{problem}; the board goes on, and catches up when it "
                                        "answers", multiline=False), severity="warning",
                                markup=False, timeout=8)
            elif self.problem is not None:
                self.app.notify("the experiment tracker answers again", timeout=4)
            self.problem = problem
            self.app.show_note()
        if report is None:
            return
        for warning in report.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                self.app.notify(visible(warning, multiline=False), severity="warning",
                                markup=False, timeout=8)
        for card_id in report.met:
            self.app.board_screen.render_cache.met.add(card_id)
            self.app.notify(f"#{card_id}: a run meets every exit criterion — record the "
                            "outcome (o)", timeout=10)
        if report.entries or report.linked or report.met:
            self.app.poll()


def _sync_in_thread(store: Store, board: str, tracking_uri: str | None) -> SyncReport:
    """The sync, with its modules (the ORM behind its writes, the trackers: ~0.4 s) imported
    here, in the worker's thread: imported on the event loop, they held the board's first
    frames back."""
    with IMPORTING:
        from tkanban.core.runs.links import criteria_met
        from tkanban.core.runs.sync import sync
    return sync(store, board, tracking_uri=tracking_uri, criteria_met=criteria_met)


def _interval_of(store: Any, board: str) -> float | None:
    value = board_setting(store, board, "sync_interval")
    return float(value) if value else None
