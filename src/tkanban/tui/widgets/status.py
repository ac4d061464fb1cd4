"""The countdown bar: always at the bottom, the only widget that repaints every second."""

from __future__ import annotations

import re

from textual.content import Content
from textual.widgets import Static

from tkanban.core.model.records import CardInfo, PhaseInfo
from tkanban.core.model.text import plural, visible
from tkanban.core.model.timebox import countdown, finished, urgency

BOX_STYLES = {"over": "$error bold", "low": "$warning", "ok": ""}
"""How a running box's countdown looks at each ``timebox.urgency``."""


class StatusBar(Static):
    """Focused card's countdown, running phase, overdue count, who you are, storage mode."""

    DEFAULT_CSS = """
    StatusBar {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self, user: str, mode: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.user = user
        self.mode = mode
        self.card: CardInfo | None = None
        self.phase: PhaseInfo | None = None
        self.overdue = 0
        self.note = ""
        self.mentions = 0
        self._shown: Content | None = None

    def set_state(self, *, card: CardInfo | None, phase: PhaseInfo | None, overdue: int,
                  now: float, note: str | None = None, mentions: int | None = None) -> None:
        self.card, self.phase, self.overdue = card, phase, overdue
        if note is not None:
            self.note = note
        if mentions is not None:
            self.mentions = mentions
        self.tick(now)

    @staticmethod
    def _box(remaining: float, length: float) -> tuple[str, str]:
        return countdown(remaining), BOX_STYLES[urgency(remaining, length)]

    def tick(self, now: float) -> None:
        full, compact = self._parts(now)
        content = Content(" │ ").join(full)
        room = (self.size.width or self.app.size.width) - 2
        if content.cell_length > room:  # 80 columns: the short forms keep every part in view
            content = Content("│").join(compact)
        if self._shown is None or not content.is_same(self._shown):
            # an unchanged bar is not repainted: a repaint of the bottom row would widen
            # the frame after a key to the whole screen
            self._shown = content
            self.update(content, layout=False)

    def _parts(self, now: float) -> tuple[list[Content], list[Content]]:
        """The bar's parts, in full and in short form."""
        full: list[Content] = []
        short: list[Content] = []

        def part(long: Content, brief: Content | None = None) -> None:
            full.append(long)
            short.append(long if brief is None else brief)

        card = self.card
        if card is not None:
            left = card.remaining(now)
            label = Content(f"#{card.id} ")
            if left is None:
                text, style = ("no time box" if not card.timebox_seconds
                               else "box starts after To do"), "$text-muted"
                brief = "" if not card.timebox_seconds else "not started"
            elif card.clock_stop is not None:
                text, style = finished(left), "$text-muted"
                brief = "finished"
            else:
                text, style = self._box(left, card.timebox_seconds or 1)
                brief = text.removesuffix(" left")
            part(label + Content.styled(text, style),
                 Content(f"#{card.id} ") + Content.styled(brief, style))
        if self.phase is not None:
            text, style = self._box(self.phase.deadline - now, self.phase.timebox_seconds)
            name = Content(visible(self.phase.name, multiline=False))
            part(Content("phase ") + name + Content(" ") + Content.styled(text, style),
                 name.truncate(8, ellipsis=True) + Content(" ")
                 + Content.styled(text.removesuffix(" left"), style))
        if self.overdue:
            part(Content.styled(f"{self.overdue} overdue", "$error bold"))
        if self.mentions:
            part(Content.styled(plural(self.mentions, "new mention"), "$accent bold"),
                 Content.styled(plural(self.mentions, "mention"), "$accent bold"))
        if self.note:
            note = Content.styled(visible(self.note, multiline=False), "$warning")
            part(note, note.truncate(24, ellipsis=True))
        part(Content(f"@{self.user}"))
        mode = self.mode.replace(" · ", " ")
        part(Content.styled(self.mode, "$text-muted"),
             Content.styled(re.sub(r" \([^)]*\)", "", mode), "$text-muted"))
        part(Content.styled("? help", "$text-muted"))  # where a newcomer finds every key
        return full, short
