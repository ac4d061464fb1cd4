"""The board screen: lanes side by side, keyboard focus, moves, the filter and the bar.

The screen shows what the app hands it (``apply``) and turns keys into requests it posts to
the app (``messages``); it never talks to the database or calls the app itself. Its keys come
from the one action table (``actions``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from tkanban.core.model.filters import CardFilter, parse_filter
from tkanban.core.model.records import BoardSnapshot, CardInfo, LaneInfo, PhaseInfo
from tkanban.tui.actions import BOARD, bindings
from tkanban.tui.messages import (
    AddLogEntry,
    ArchiveCard,
    CloseCard,
    EditCard,
    EndPhase,
    FindMentions,
    LinkRun,
    LoadMoreDone,
    MoveCard,
    NewCard,
    OpenCard,
    RecordOutcome,
    RelateCard,
    Reload,
    ReorderCard,
    SetTimebox,
    SetWipLimit,
    SharedActions,
    ShowArchived,
    ShowMentions,
    ShowRetro,
    StartPhase,
    ToggleBlock,
)
from tkanban.tui.widgets.lanes import Lane, LaneView, RenderCache
from tkanban.tui.widgets.status import StatusBar

NARROW_WIDTH = 100
"""Below this many columns the lanes you are not in shrink to their number and count."""


class BoardScreen(Screen[None], SharedActions):
    """Six lanes, a focused card, a filter line and the countdown bar."""

    AUTO_FOCUS = ""

    DEFAULT_CSS = """
    BoardScreen { layout: vertical; }
    #lanes { height: 1fr; }
    #filter { dock: top; display: none; height: 3; }
    #filter.-shown { display: block; }
    """

    BINDINGS = bindings(BOARD)

    def __init__(self, status: StatusBar) -> None:
        super().__init__()
        self.status = status
        self.snapshot: BoardSnapshot | None = None
        self.phase: PhaseInfo | None = None
        """The running phase, for the bar: set by the app."""
        self.lanes: list[Lane] = []
        self.lane_index = 0
        self.filter = CardFilter()
        self.now = 0.0
        self.overdue = 0
        self.narrow = False
        self._pending: tuple[BoardSnapshot, float] | None = None
        self.render_cache = RenderCache()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: words, @user, kind:hypothesis, overdue — "
                    "enter keeps it, escape clears", id="filter")
        if self._pending is not None:  # read before the app ran: laid out with the screen
            self.lanes = [Lane(i, self.render_cache) for i in range(len(self._pending[0].lanes))]
        yield Horizontal(*self.lanes, id="lanes")
        yield self.status

    async def on_mount(self) -> None:
        self.narrow = self.app.size.width < NARROW_WIDTH
        if self._pending is not None:  # filled before the first frame
            (snapshot, now), self._pending, self.snapshot = self._pending, None, None
            await self.apply(snapshot, now, force=True)

    def preset(self, snapshot: BoardSnapshot, now: float) -> None:
        """The board as read before the screen opens: shown in its first frame."""
        self._pending = (snapshot, now)
        self.snapshot = snapshot

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_WIDTH
        if narrow != self.narrow:
            self.narrow = narrow
            for lane in self.lanes:
                lane.set_active(lane.index == self.lane_index, narrow)

    # --- showing -------------------------------------------------------------------------------

    async def apply(self, snapshot: BoardSnapshot, now: float, focus_id: int | None = None,
                    force: bool = False) -> None:
        """Show a snapshot; focus ``focus_id`` if given, else keep the focused card. Lanes whose
        cards are the same objects as before are left alone."""
        previous = self.snapshot
        self.snapshot, self.now = snapshot, now
        if len(self.lanes) != len(snapshot.lanes):
            container = self.query_one("#lanes", Horizontal)
            await container.remove_children()
            self.lanes = [Lane(i, self.render_cache) for i in range(len(snapshot.lanes))]
            await container.mount_all(self.lanes)
            self.lane_index = min(self.lane_index, len(self.lanes) - 1)
            previous, force = None, True
        if focus_id is not None and (where := snapshot.find(focus_id)) is not None:
            self.lane_index = where[0]
        match = self.filter.matcher(now)
        for lane, data in zip(self.lanes, snapshot.lanes, strict=True):
            same = previous is not None and previous.lanes[lane.index] is data
            if force or not same:
                shown = data.cards if self.filter.empty else [c for c in data.cards if match(c)]
                lane.header.show(data.lane, len(shown), len(data.cards), data.count)
                lane.view.set_cards(shown, now, focus_id)
            elif focus_id is not None and lane.index == self.lane_index:
                index = next((i for i, c in enumerate(lane.view.cards) if c.id == focus_id), None)
                if index is not None:
                    lane.view.set_cursor(index)
            lane.set_active(lane.index == self.lane_index, self.narrow)
        self.overdue = len(snapshot.overdue_cards(now))
        self.update_status()

    def update_status(self) -> None:
        note = "" if self.filter.empty else "filter: " + self.query_one("#filter", Input).value
        self.status.set_state(card=self.current_card, phase=self.phase,
                              overdue=self.overdue, now=self.now, note=note)

    def tick(self, now: float) -> None:
        """Once a second: only the bar repaints; cards show minutes, so they repaint rarely:
        each minute, and at the second a box runs out (its badge turns to overdue then)."""
        snapshot = self.snapshot
        ran_out = snapshot is not None and len(snapshot.overdue_cards(now)) != len(
            snapshot.overdue_cards(self.now))
        if int(now // 60) != int(self.now // 60) or ran_out:
            for lane in self.lanes:
                lane.view.set_now(now)
        self.now = now
        self.status.tick(now)

    @property
    def current_lane(self) -> LaneInfo | None:
        if self.snapshot is None or not self.lanes:
            return None
        return self.snapshot.lanes[self.lane_index].lane

    @property
    def current_card(self) -> CardInfo | None:
        return self.lanes[self.lane_index].view.current if self.lanes else None

    # --- focus ---------------------------------------------------------------------------------

    def action_focus_lane(self, step: int) -> None:
        if not self.lanes:
            return
        old = self.lane_index
        self.lane_index = max(0, min(self.lane_index + step, len(self.lanes) - 1))
        self.lanes[old].set_active(False, self.narrow)
        self.lanes[self.lane_index].set_active(True, self.narrow)
        self.lanes[self.lane_index].view.scroll_to_cursor()
        self.update_status()

    def action_focus_card(self, step: int) -> None:
        if not self.lanes or self.snapshot is None:
            return
        view = self.lanes[self.lane_index].view
        data = self.snapshot.lanes[self.lane_index]
        if step > 0 and view.cursor + step >= len(view.cards) and data.count > len(data.cards):
            def then() -> None:
                view.set_cursor(view.cursor + step)
                self.update_status()

            self.post_message(LoadMoreDone(then))
            return
        view.set_cursor(view.cursor + step)
        self.update_status()

    @on(LaneView.CardClicked)
    def _clicked(self, event: LaneView.CardClicked) -> None:
        again = event.lane_view.lane_index == self.lane_index and \
            event.index == event.lane_view.cursor
        self.lane_index = event.lane_view.lane_index
        for lane in self.lanes:
            lane.set_active(lane.index == self.lane_index, self.narrow)
        event.lane_view.set_cursor(event.index)
        self.update_status()
        if again:
            self.action_open_card()

    # --- actions: requests posted to the app, which carries them out one at a time --------

    def action_move_card(self, step: int) -> None:
        self.post_message(MoveCard(step))

    def action_reorder(self, step: int) -> None:
        self.post_message(ReorderCard(step))

    def action_new_card(self) -> None:
        if (lane := self.current_lane) is not None:
            self.post_message(NewCard(lane))

    def _with_card(self, request: Callable[[CardInfo], Message]) -> None:
        card = self.current_card
        if card is None:
            self.notify("no card is focused: this lane is empty", severity="warning")
            return
        self.post_message(request(card))

    def action_open_card(self) -> None:
        self._with_card(OpenCard)

    def action_edit_card(self) -> None:
        self._with_card(EditCard)

    def action_log_entry(self) -> None:
        self._with_card(AddLogEntry)

    def action_timebox(self) -> None:
        self._with_card(SetTimebox)

    def action_outcome(self) -> None:
        self._with_card(RecordOutcome)

    def action_close_card(self) -> None:
        self._with_card(CloseCard)

    def action_block(self) -> None:
        self._with_card(ToggleBlock)

    def action_relate(self) -> None:
        self._with_card(RelateCard)

    def action_link_run(self) -> None:
        self._with_card(LinkRun)

    def action_archive(self) -> None:
        self._with_card(ArchiveCard)

    def action_reload(self) -> None:
        self.post_message(Reload(announce=True))


    def action_mentions(self) -> None:
        self.post_message(ShowMentions())

    def action_archived(self) -> None:
        self.post_message(ShowArchived())

    def action_retro(self) -> None:
        self.post_message(ShowRetro())

    def action_wip_limit(self) -> None:
        if (lane := self.current_lane) is not None:
            self.post_message(SetWipLimit(lane))

    def action_start_phase(self) -> None:
        self.post_message(StartPhase())

    def action_end_phase(self) -> None:
        self.post_message(EndPhase())

    # --- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        field.focus()

    @on(Input.Changed, "#filter")
    async def _filter_changed(self, event: Input.Changed) -> None:
        self.filter = parse_filter(event.value)
        if self.filter.users:
            self.post_message(FindMentions(self.filter.users))
        if self.snapshot is not None:
            await self.apply(self.snapshot, self.now, force=True)

    async def show_mentioned(self, users: list[str], card_ids: set[int]) -> None:
        """The cards whose logs mention ``users``: they match ``@user`` too."""
        if self.filter.users == users:
            self.filter = replace(self.filter, mentioned=frozenset(card_ids))
            if self.snapshot is not None:
                await self.apply(self.snapshot, self.now, force=True)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.value.strip():
            field.remove_class("-shown")
        self.set_focus(None)

    async def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = ""
        field.remove_class("-shown")
        self.set_focus(None)
        self.filter = CardFilter()
        if self.snapshot is not None:
            await self.apply(self.snapshot, self.now, force=True)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.focused is self.query_one("#filter", Input):
            event.stop()
            self.run_worker(self.action_clear_filter())
