"""The form and pane flows: which form a request opens, and what saving it writes.

Each flow pushes a screen and gives it a ``save`` that writes through the controller (in order
with every other write, then a reload focused on the card), and records the change for undo.
Forms, the retro and the ORM load on first use (under ``loading.IMPORTING``), so the board is
on screen before them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import singledispatchmethod
from typing import TYPE_CHECKING, Any, Protocol

from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen

from tkanban.core.board import reads as q
from tkanban.core.errors import TkanbanError
from tkanban.core.model.criteria import parse_criteria
from tkanban.core.model.evidence import all_met
from tkanban.core.model.records import DONE, CardInfo, LaneInfo, Related
from tkanban.core.model.text import visible
from tkanban.core.model.timebox import countdown
from tkanban.core.storage.base import Store
from tkanban.tui import messages as msg
from tkanban.tui.control.controller import BoardController
from tkanban.tui.control.history import Change, Step
from tkanban.tui.control.sync import Syncer
from tkanban.tui.loading import IMPORTING
from tkanban.tui.render import literal
from tkanban.tui.screens.board import BoardScreen
from tkanban.tui.screens.card import CardScreen
from tkanban.tui.screens.help import MentionsScreen
from tkanban.tui.widgets.status import StatusBar

if TYPE_CHECKING:
    from tkanban.core.retro.figures import Retro


class Host(Protocol):
    """What the flows need of the app that holds them: its screens, notices and jobs."""

    mode: str
    board_screen: BoardScreen

    @property
    def screen(self) -> Screen[object]: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    def push_screen(self, screen: Screen[Any], callback: Any = None) -> Any: ...

    def pop_screen(self) -> Any: ...

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def run_worker(self, work: Any, name: str | None = "", group: str = "default") -> Any: ...

    def spawn(self, job: Awaitable[None]) -> None:
        """Run ``job`` as a write (the app waits for these before it quits)."""

    def error(self, message: str) -> None: ...

    def show_mentions_count(self, count: int) -> None: ...


class Flows:
    """The app's forms and panes: ``app`` shows them, ``control`` reads and writes,
    ``syncer`` syncs a run just linked."""

    def __init__(self, app: Host, control: BoardController, syncer: Syncer) -> None:
        self.app, self.control, self.syncer = app, control, syncer
        self._offered: set[int] = set()
        """Overdue cards whose wrap-up was offered this session: asked once, not each time."""

    # --- requests from the screens ---------------------------------------------------------

    @singledispatchmethod
    def answer(self, request: msg.Request) -> None:
        """Open what a screen asked for (every ``messages.Request`` comes here)."""
        raise TypeError(f"no flow answers {type(request).__name__}")

    @answer.register
    def _new(self, request: msg.NewCard) -> None:
        self.card_form(lane=request.lane)

    @answer.register
    def _edit(self, request: msg.EditCard) -> None:
        self.card_form(request.card)

    @answer.register
    def _open(self, request: msg.OpenCard) -> None:
        self.detail(request.card.id)

    @answer.register
    def _open_id(self, request: msg.OpenCardId) -> None:
        self.detail(request.card_id)

    @answer.register
    def _log(self, request: msg.AddLogEntry) -> None:
        self.log_form(request.card)

    @answer.register
    def _timebox(self, request: msg.SetTimebox) -> None:
        self.timebox_form(request.card)

    @answer.register
    def _outcome(self, request: msg.RecordOutcome) -> None:
        self.outcome_form(request.card)

    @answer.register
    def _close(self, request: msg.CloseCard) -> None:
        self.close_card(request.card)

    @answer.register
    def _block(self, request: msg.ToggleBlock) -> None:
        self.toggle_block(request.card)

    @answer.register
    def _relate(self, request: msg.RelateCard) -> None:
        self.relate_form(request.card)

    @answer.register
    def _unrelate(self, request: msg.Unrelate) -> None:
        self.unrelate(request.card, request.related)

    @answer.register
    def _link(self, request: msg.LinkRun) -> None:
        self.link_form(request.card)

    @answer.register
    def _archive(self, request: msg.ArchiveCard) -> None:
        self.confirm_archive(request.card)

    @answer.register
    def _wip(self, request: msg.SetWipLimit) -> None:
        self.wip_form(request.lane)

    @answer.register
    def _mentions(self, request: msg.ShowMentions) -> None:
        self.mentions()

    @answer.register
    def _archived(self, request: msg.ShowArchived) -> None:
        self.archived()

    @answer.register
    def _retro(self, request: msg.ShowRetro) -> None:
        self.retro(request.month, request.step)

    @answer.register
    def _start_phase(self, request: msg.StartPhase) -> None:
        self.phase_form(ending=False)

    @answer.register
    def _end_phase(self, request: msg.EndPhase) -> None:
        self.phase_form(ending=True)

    # --- what every flow needs ---------------------------------------------------------------

    @property
    def user(self) -> str:
        return self.control.user

    def writable(self) -> bool:
        """True when the board may be changed; else say why."""
        store = self.control.store
        if store.readonly:
            self.app.notify(f"{visible(store.readonly_reason)}: nothing can be changed",
                            severity="error", markup=False)
            return False
        return True

    def _record(self, what: str, card_id: int | None, result: object, undo: Step,
                redo: Step) -> None:
        """A change just written, for ``u`` to take back and ``U`` to do again."""
        self.control.history.record(Change(what, card_id, undo, redo), result)

    def _at_once(self, what: str, card_id: int, write: Callable[[Store], object],
                 undo: Step, redo: Step, said: str, *, focus: bool = True) -> None:
        """A change that needs no form: written in order with the others, kept for undo,
        the board read again, and said."""
        async def job() -> None:
            result = await self.control.call(write)
            self._record(what, card_id, result, undo, redo)
            await self.control.reload(focus_id=card_id if focus else None)
            self.app.notify(visible(said), timeout=3, markup=False)

        self.control.enqueue(job)


    # --- cards -----------------------------------------------------------------------------------

    def card_form(self, card: CardInfo | None = None, *, lane: LaneInfo | None = None) -> None:
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import restore_card
            from tkanban.tui.forms.card import CardForm
        if card is not None:
            async def save(values: dict[str, Any]) -> None:
                result = await self.control.write(ops.edit_card, card.id, author=self.user,
                                                  **values)
                after = {k: v for k, v in values.items() if k != "expected_version"}
                before = {k: _field(card, k) for k in after}
                self._record(f"edit #{card.id}", card.id, result,
                             lambda store, v: ops.edit_card(store, card.id, author=self.user,
                                                            expected_version=v, **before),
                             lambda store, v: ops.edit_card(store, card.id, author=self.user,
                                                            expected_version=v, **after))

            async def reload() -> CardInfo:
                return (await self.control.call(q.get_card, card.id)).card

            self.app.push_screen(CardForm(save, lane_name=card.lane, card=card, reload=reload))
            return
        assert lane is not None

        async def add(values: dict[str, Any]) -> None:
            values.pop("expected_version", None)
            made = await self.control.write(ops.add_card, self.control.board, author=self.user,
                                            lane=lane.slug, **values)
            self._record(f"add #{made.id}", made.id, made,
                         lambda store, v: ops.archive_card(store, made.id, author=self.user,
                                                           expected_version=v),
                         lambda store, v: restore_card(store, made.id, author=self.user,
                                                       expected_version=v))

        self.app.push_screen(CardForm(add, lane_name=lane.name, lane_slug=lane.slug))

    def log_form(self, card: CardInfo) -> None:
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import strike_entry
            from tkanban.tui.forms.log import LogForm

        async def save(values: dict[str, Any]) -> None:
            entry = await self.control.write(ops.add_log, card.id, values["text"],
                                             author=self.user, metrics=values["metrics"],
                                             focus_id=card.id)
            self._record(f"log entry #{entry.id} on #{card.id}", card.id, None,
                         lambda store, v: strike_entry(store, entry.id, struck=True,
                                                       author=self.user),
                         lambda store, v: strike_entry(store, entry.id, struck=False,
                                                       author=self.user))

        criteria = parse_criteria(card.criteria) if card.criteria else []
        self.app.push_screen(LogForm(save, card=card, criteria=criteria))

    def timebox_form(self, card: CardInfo, hint: str = "") -> None:
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import put_timebox
            from tkanban.tui.forms.timebox import TimeboxForm

        async def save(values: dict[str, Any]) -> None:
            result = await self.control.write(ops.set_timebox, card.id, values["seconds"],
                                              author=self.user, reason=values["reason"])
            old, new = card.timebox_seconds, values["seconds"]
            self._record(f"time box of #{card.id}", card.id, result,
                         lambda store, v: put_timebox(store, card.id, old, author=self.user,
                                                      expected_version=v),
                         lambda store, v: put_timebox(store, card.id, new, author=self.user,
                                                      expected_version=v, why="redo"))

        self.app.push_screen(TimeboxForm(save, card=card, hint=hint))

    def outcome_form(self, card: CardInfo, move_to: LaneInfo | None = None) -> None:
        if not self.writable():
            return
        if card.kind != "hypothesis":
            self.app.notify("a task has no outcome: move it to Done when it is finished",
                            severity="warning")
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import CardState, put_card
            from tkanban.tui.forms.outcome import OutcomeForm

        async def save(values: dict[str, Any]) -> None:
            if move_to is not None:
                result = await self.control.write(ops.move_card, card.id, move_to.slug,
                                                  author=self.user, outcome=values["outcome"],
                                                  conclusion=values["conclusion"],
                                                  reason=values["reason"])
            else:
                result = await self.control.write(ops.set_outcome, card.id, values["outcome"],
                                                  values["conclusion"], author=self.user,
                                                  reason=values["reason"])
            before, after = CardState.of(card), CardState.of(result)
            what = f"outcome of #{card.id}" + (f" and move to {result.lane}" if move_to else "")
            self._record(what, card.id, result,
                         lambda store, v: put_card(store, card.id, before, author=self.user,
                                                   expected_version=v),
                         lambda store, v: put_card(store, card.id, after, author=self.user,
                                                   expected_version=v, why="redo"))

        async def suggest() -> None:
            detail = await self.control.call(q.get_card, card.id)
            verdicts = detail.verdicts()
            reason = ("A hypothesis enters Done with its outcome. Disproving it counts as "
                      "learning too." if move_to else "")
            self.app.push_screen(OutcomeForm(
                save, card=card, reason=reason,
                suggested="validated" if all_met(verdicts) else None, verdicts=verdicts))

        self.app.run_worker(suggest(), group="forms")

    def close_card(self, card: CardInfo) -> None:
        """``D``: into Done in one move from any lane, the lanes between skipped (a hypothesis
        that stops where it ends): a hypothesis through the outcome form, a task once the user
        says yes."""
        if not self.writable():
            return
        if card.lane_slug == DONE:
            self.app.notify(f"#{card.id} is in Done already", severity="warning")
            return
        snapshot = self.control.view.snapshot
        done = next((lane.lane for lane in snapshot.lanes if lane.lane.slug == DONE), None) \
            if snapshot is not None else None
        if done is None:
            return
        if card.kind == "hypothesis":
            self.outcome_form(card, move_to=done)
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import CardState, put_card
            from tkanban.tui.screens.confirm import ConfirmDialog
        user, before = self.user, CardState.of(card)

        def answered(yes: bool | None) -> None:
            if yes:
                self._at_once(
                    f"close #{card.id} into Done", card.id,
                    lambda store: ops.move_card(store, card.id, DONE, author=user),
                    lambda store, v: put_card(store, card.id, before, author=user,
                                              expected_version=v),
                    lambda store, v: ops.move_card(store, card.id, DONE, author=user,
                                                   expected_version=v),
                    f"#{card.id} closed into Done")

        question = Content("Close ") + Content.styled(f"#{card.id} ", "bold") + literal(
            card.title, "bold") + Content(f"?\nIt goes from {card.lane} straight to Done.")
        self.app.push_screen(ConfirmDialog(question), answered)

    def confirm_archive(self, card: CardInfo) -> None:
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.core.board.undo import restore_card
            from tkanban.tui.screens.confirm import ConfirmDialog
        user = self.user

        def answered(yes: bool | None) -> None:
            if yes:
                self._at_once(
                    f"archive #{card.id}", card.id,
                    lambda store: ops.archive_card(store, card.id, author=user),
                    lambda store, v: restore_card(store, card.id, author=user,
                                                  expected_version=v),
                    lambda store, v: ops.archive_card(store, card.id, author=user,
                                                      expected_version=v),
                    f"#{card.id} archived", focus=False)

        question = Content("Archive ") + Content.styled(f"#{card.id} ", "bold") + literal(
            card.title, "bold") + Content("?\nIt leaves the board; its log stays in the file.")
        self.app.push_screen(ConfirmDialog(question), answered)

    # --- panes -----------------------------------------------------------------------------------

    def detail(self, card_id: int) -> None:
        """Open the card pane of ``card_id`` (over the pane of a card it relates to, if one is
        open: escape goes back to that one)."""
        async def job() -> None:
            control, clock = self.control, self.control.clock
            for screen in self.app.screen_stack:  # open already: go back to it
                if isinstance(screen, CardScreen) and screen.card_id == card_id:
                    while self.app.screen is not screen:
                        await self.app.pop_screen()
                    return
            detail = await control.call(q.get_card, card_id)
            status = StatusBar(self.user, self.app.mode)
            status.set_state(card=detail.card, phase=control.phase, overdue=0, now=clock(),
                             mentions=control.unread_mentions)
            await self.app.push_screen(CardScreen(detail, status, clock()))
            if detail.card.overdue(clock()) and card_id not in self._offered:
                self._offered.add(card_id)
                self._offer_wrap_up(detail.card)

        self.app.run_worker(job(), group="forms")

    def _offer_wrap_up(self, card: CardInfo) -> None:
        with IMPORTING:
            from tkanban.tui.screens.confirm import ConfirmDialog

        left = card.remaining(self.control.clock()) or 0
        question = Content.styled("This card's time box ran out ", "bold") + Content(
            f"({countdown(left)}).\n") + Content(
            "Wrap it up: yes records the outcome" if card.kind == "hypothesis"
            else "Wrap it up: yes moves it on") + Content("; no extends the box with a reason.")

        def answered(yes: bool | None) -> None:
            if yes and card.kind == "hypothesis":
                self.outcome_form(card)
            elif yes:
                self.app.notify("move it to Done with L, or extend it with t", timeout=5)
            elif yes is False:
                self.timebox_form(card, hint="Extend the box: the reason goes into the log.")

        self.app.push_screen(ConfirmDialog(question), answered)

    def mentions(self) -> None:
        control = self.control

        async def job() -> None:
            found = await control.call(q.mentions_of, self.user, control.board)
            if found and not control.store.readonly:
                with IMPORTING:
                    from tkanban.core.board.cards import mark_mentions_seen
                await control.call(mark_mentions_seen, self.user, found[0].entry.id)
            control.unread_mentions = 0
            self.app.show_mentions_count(0)

            async def chosen(card_id: int | None) -> None:
                if card_id is None:
                    return
                await control.serial(lambda: control.reload(card_id))
                snapshot = self.app.board_screen.snapshot
                card = next((c for lane in snapshot.lanes for c in lane.cards
                             if c.id == card_id), None) if snapshot else None
                if card is not None:
                    self.detail(card.id)
                else:
                    self.app.notify(f"#{card_id} is no longer on the board", severity="warning")

            self.app.push_screen(MentionsScreen(self.user, found), chosen)

        self.app.run_worker(job(), group="forms")

    def archived(self) -> None:
        """The archived cards: open one, or put it back on the board."""
        control = self.control

        with IMPORTING:
            from tkanban.tui.screens.archive import ArchivedScreen, Choice

        async def job() -> None:
            cards = await control.call(q.list_cards, control.board, include_archived=True)
            archived = sorted((c for c in cards if c.archived), key=lambda c: -c.updated_at)

            def chosen(choice: Choice | None) -> None:
                if choice is None:
                    return
                what, card = choice
                if what == "open":
                    self.detail(card.id)
                elif self.writable():
                    self.restore(card)

            self.app.push_screen(ArchivedScreen(archived), chosen)

        self.app.run_worker(job(), group="forms")

    def restore(self, card: CardInfo) -> None:
        with IMPORTING:
            from tkanban.core.board.cards import archive_card
            from tkanban.core.board.undo import restore_card

        async def save() -> None:
            try:
                restored = await self.control.write(restore_card, card.id, author=self.user)
            except TkanbanError as exc:
                self.app.error(str(exc))
                return
            self._record(f"restore #{card.id}", card.id, restored,
                         lambda store, v: archive_card(store, card.id, author=self.user,
                                                       expected_version=v),
                         lambda store, v: restore_card(store, card.id, author=self.user,
                                                       expected_version=v))
            self.app.notify(f"#{card.id} restored to {visible(restored.lane)}", timeout=4,
                            markup=False)

        self.app.spawn(save())

    # --- the board -------------------------------------------------------------------------------

    def phase_form(self, ending: bool) -> None:
        if not self.writable():
            return
        phase = self.control.phase
        if ending and phase is None:
            self.app.notify("no phase is running", severity="warning")
            return
        if not ending and phase is not None:
            self.app.notify(f"phase {visible(phase.name)} is running: end it first",
                            severity="warning", markup=False)
            return
        with IMPORTING:
            from tkanban.core.board import phases as phases
            from tkanban.tui.forms.phase import PhaseForm
        board = self.control.board

        async def save(values: dict[str, Any]) -> None:
            if ending:
                await self.control.write(phases.end_phase, board, values["decision"],
                                         values["note"], author=self.user)
            else:
                await self.control.write(phases.start_phase, board, values["name"],
                                         values["seconds"], values["goal"], author=self.user)

        self.app.push_screen(PhaseForm(save, ending=phase.name if ending and phase else None))

    def wip_form(self, lane: LaneInfo) -> None:
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board import cards as ops
            from tkanban.tui.forms.wip import WipForm
        board = self.control.board

        async def save(values: dict[str, Any]) -> None:
            old, new = lane.wip_limit, values["limit"]
            await self.control.write(ops.set_wip_limit, board, lane.slug, new)
            self._record(f"WIP limit of {lane.name}", None, None,
                         lambda store, v: ops.set_wip_limit(store, board, lane.slug, old),
                         lambda store, v: ops.set_wip_limit(store, board, lane.slug, new))

        self.app.push_screen(WipForm(save, lane=lane))

    def retro(self, month: str | None = None, step: int = 0) -> None:
        """Open the retro for ``month`` moved by ``step`` months (this month by default)."""
        with IMPORTING:
            from tkanban.core.retro import figures as retros
            from tkanban.tui.screens.retro import RetroScreen
        control = self.control

        def compute() -> Retro:
            year, mon = (retros.parse_month(month) if month
                         else retros.current_month(control.clock()))
            year, mon = retros.shift_month(year, mon, step)
            cards, lanes = q.history(control.store, control.board)
            return retros.compute(cards, lanes, q.phase_refs(control.store, control.board),
                                  year, mon, control.clock())

        async def job() -> None:
            result = await control.call(lambda _: compute())
            if isinstance(self.app.screen, RetroScreen):
                self.app.screen.show(result)
            else:
                await self.app.push_screen(RetroScreen(result))

        self.app.run_worker(job(), group="forms")


    # --- what ties a card -------------------------------------------------------------------

    def toggle_block(self, card: CardInfo) -> None:
        """Block the card (a form asks why), or unblock a blocked one at once."""
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board.blocked import block_card, unblock_card

        user = self.user

        def block(reason: str) -> Step:
            return lambda store, v: block_card(store, card.id, reason, author=user,
                                               expected_version=v)

        def unblock(store: Any, v: int | None) -> CardInfo:
            return unblock_card(store, card.id, author=user, expected_version=v)

        if card.blocked:
            self._at_once(f"unblock #{card.id}", card.id,
                          lambda store: unblock_card(store, card.id, author=user),
                          block(card.blocked), unblock, f"#{card.id} unblocked")
            return
        with IMPORTING:
            from tkanban.tui.forms.block import BlockForm

        async def save(values: dict[str, Any]) -> None:
            result = await self.control.write(block_card, card.id, values["reason"],
                                              author=user)
            self._record(f"block #{card.id}", card.id, result, unblock,
                         block(values["reason"]))

        self.app.push_screen(BlockForm(save, card=card))

    def relate_form(self, card: CardInfo) -> None:
        """Tie the card to another (a form asks which, and how); undo unties them."""
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board.relations import relate, unrelate
            from tkanban.tui.forms.relate import RelateForm
        user = self.user

        async def save(values: dict[str, Any]) -> None:
            said, other = values["relation"], values["other"]
            made = await self.control.write(relate, card.id, said, other, author=user,
                                            focus_id=card.id)
            words = f"#{card.id} {said.replace('-', ' ')} #{other}"
            if not made:
                self.app.notify(f"{words} already", timeout=3)
                return
            self._record(f"relate {words}", card.id, None,
                         lambda store, v: unrelate(store, card.id, said, other, author=user),
                         lambda store, v: relate(store, card.id, said, other, author=user))
            self.app.notify(words, timeout=3)

        self.app.push_screen(RelateForm(save, card=card))

    def link_form(self, card: CardInfo) -> None:
        """Link an experiment run to the card (the next sync brings its numbers in), or
        unlink one; undo does the other."""
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.runs.links import links_of
            from tkanban.core.runs.sync import link_run, pin_run, unlink_run
            from tkanban.tui.forms.link import LinkForm
        user, uri = self.user, self.syncer.tracking_uri

        def link(ref: str) -> Step:
            return lambda store, v: link_run(store, card.id, ref, author=user,
                                             tracking_uri=uri, kept=True)

        def unlink(ref: str) -> Step:
            return lambda store, v: unlink_run(store, card.id, ref, author=user)

        async def save(values: dict[str, Any]) -> None:
            if "pin" in values:
                ref = values["pin"]
                before = await self.control.write(pin_run, card.id, ref, author=user,
                                                  focus_id=card.id)
                self._record(f"{'pin' if ref else 'unpin'} a run of #{card.id}", card.id, None,
                             lambda store, v: pin_run(store, card.id, before, author=user),
                             lambda store, v: pin_run(store, card.id, ref, author=user))
                self.app.notify(f"#{card.id}: judged on {ref} alone" if ref else
                                f"#{card.id}: judged on all its evidence", timeout=4,
                                markup=False)
                return
            if "unlink" in values:
                ref = values["unlink"]
                await self.control.write(unlink_run, card.id, ref, author=user,
                                         focus_id=card.id)
                self._record(f"unlink {ref} from #{card.id}", card.id, None, link(ref),
                             unlink(ref))
                self.app.notify(f"#{card.id}: unlinked {ref}", timeout=4)
                return
            made = await self.control.write(link_run, card.id, values["ref"], author=user,
                                            tracking_uri=uri, focus_id=card.id, quiet=True)
            self._record(f"link {made.ref} to #{card.id}", card.id, None, unlink(made.ref),
                         link(made.ref))
            self.app.notify(f"#{card.id}: linked {made.name}; syncing its numbers", timeout=4)
            self.syncer.sync()

        async def job() -> None:
            runs = await self.control.call(links_of, None, card.id)
            self.app.push_screen(LinkForm(save, card=card, runs=runs))

        self.app.run_worker(job(), group="forms")

    def unrelate(self, card: CardInfo, related: Related) -> None:
        """Untie the card from a related one at once; undo ties them again."""
        if not self.writable():
            return
        with IMPORTING:
            from tkanban.core.board.relations import relate, unrelate
        user, said, other = self.user, related.relation, related.id
        words = f"#{card.id} {said.replace('-', ' ')} #{other}"

        self._at_once(f"unrelate {words}", card.id,
                      lambda store: unrelate(store, card.id, said, other, author=user),
                      lambda store, v: relate(store, card.id, said, other, author=user),
                      lambda store, v: unrelate(store, card.id, said, other, author=user),
                      f"removed: {words}")


def _field(card: CardInfo, name: str) -> Any:
    """A card's value for an edit form's field (no assignee: empty)."""
    value = getattr(card, name)
    return "" if value is None else value
