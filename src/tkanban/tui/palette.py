"""The command palette (``ctrl+p``): the actions of the screen it was opened on, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tkanban.tui.actions import BOARD, CARD, Action, palette_actions
from tkanban.tui.screens.board import BoardScreen
from tkanban.tui.screens.card import CardScreen
from tkanban.user.keys import shown_keys


class BoardCommands(Provider):
    """Actions from the one action table, named as the help screen names them."""

    def _actions(self) -> list[Action]:
        screen = self.screen
        where = BOARD if isinstance(screen, BoardScreen) else (
            CARD if isinstance(screen, CardScreen) else "")
        return [action for action in palette_actions() if where in action.where]

    async def _run(self, action: Action) -> None:
        await self.screen.run_action(action.run)

    def _help(self, action: Action) -> str:
        """The action's help line, with the keys in force on the screen (a key map moves
        them)."""
        keys = [key for key, active in self.screen.active_bindings.items()
                if active.binding.id == action.name]
        rest = action.description.partition(":")[2].strip()
        shown = f"key: {shown_keys(','.join(keys))}" if keys else ""
        return " · ".join(part for part in (rest, shown) if part)

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(action.title, partial(self._run, action), help=self._help(action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            score = matcher.match(action.title)
            if score > 0:
                yield Hit(score, matcher.highlight(action.title), partial(self._run, action),
                          help=self._help(action))
