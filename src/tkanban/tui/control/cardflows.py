"""The flows' shared base, and the flows that tie a card: block it, relate it to another,
link its experiment runs. Each writes through the controller and can be undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tkanban.core.model.records import CardInfo, Related
from tkanban.core.model.text import visible
from tkanban.core.storage.base import Store
from tkanban.tui.control.history import Change, Step
from tkanban.tui.loading import IMPORTING

if TYPE_CHECKING:
    from tkanban.tui.app import TkanbanApp


class FlowsBase:
    """What every flow needs: the app, its controller, the user, and the undo history."""

    def __init__(self, app: TkanbanApp) -> None:
        self.app = app
        self.control = app.control

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


class CardTies(FlowsBase):
    """What holds a card up, what it leads to, and the runs that test it."""

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
            from tkanban.core.runs.sync import link_run, unlink_run
            from tkanban.tui.forms.link import LinkForm
        user, uri = self.user, self.app.syncer.tracking_uri

        def link(ref: str) -> Step:
            return lambda store, v: link_run(store, card.id, ref, author=user,
                                             tracking_uri=uri)

        def unlink(ref: str) -> Step:
            return lambda store, v: unlink_run(store, card.id, ref, author=user)

        async def save(values: dict[str, Any]) -> None:
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
            self.app.syncer.sync()

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
