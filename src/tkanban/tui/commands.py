"""The command palette (``ctrl+p``): every board action, by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tkanban.tui.keys import BOARD_KEYS

EXTRA = [
    ("Start a phase", "a board-level time box with a goal", "start_phase"),
    ("End the phase", "record the go/stop decision", "end_phase"),
    ("Move card to the next lane", "L", "move_next"),
    ("Move card to the previous lane", "H", "move_previous"),
]


class BoardCommands(Provider):
    """Board actions for the palette, named as the help screen names them."""

    def _commands(self) -> list[tuple[str, str, str]]:
        found = [(what[0].upper() + what[1:], f"key: {keys}", action)
                 for keys, what, action in BOARD_KEYS if action]
        return found + EXTRA

    async def discover(self) -> Hits:
        for name, help_text, action in self._commands():
            yield DiscoveryHit(name, partial(self.app.palette_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.palette_action, action),
                          help=help_text)
