"""Lanes: a header and a virtual list of cards drawn with the line API.

A lane never mounts a widget per card: ``LaneView`` renders only the rows in view, so a lane of
10,000 cards costs what a lane of ten does. Cards have a fixed height, which makes the row of a
card simple arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.color import Color
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tkanban.core.model.records import CardInfo, LaneInfo
from tkanban.core.model.timebox import short_left, urgency
from tkanban.tui.render import rich_literal

VIRTUAL_STEP = 8
"""A long lane's scrollable height grows and shrinks by this many cards at a time."""

NARROW_LANE = 8
"""Columns of a lane you are not in, in a narrow terminal."""

FOLD_WIDTH = 12
"""Lanes at least this wide fold a word longer than a line; narrower ones cut it with "…"."""
TITLE_LINES = 3
CARD_HEIGHT = TITLE_LINES + 3
"""Rows per card: meta line, title lines, people line, gap."""

CACHED_CARDS = 256
"""Rendered cards the lanes keep: a few screens' worth each (a rendered card is some 70 small
objects that the garbage collector walks, so ten thousand would slow every full collection)."""


class RenderCache:
    """Rendered cards and wrapped titles, shared by the lanes of a board: a card moved to
    another lane is drawn there from what its old lane rendered. Keys hold everything a
    rendering depends on (card id and version, width, focus, the minute)."""

    def __init__(self, size: int = CACHED_CARDS) -> None:
        self.cards: LRUCache[tuple, list[Strip]] = LRUCache(size)
        self.titles: LRUCache[tuple[str, int], list[Text]] = LRUCache(size)
        self.met: set[int] = set()
        """Cards whose every exit criterion a synced run has met while the board is open."""
        self.verdicts: dict[int, tuple[str, bool]] = {}
        """Each hypothesis's criteria mark, and whether its outcome goes against its
        evidence (``reads.verdict_marks``)."""
        self._keys: dict[int, tuple[int, set[tuple]]] = {}
        """Each card's latest version, and the keys it is cached under."""

    def clear(self) -> None:
        self.cards.clear()
        self.titles.clear()
        self._keys.clear()

    def card(self, card_id: int, version: int, key: tuple) -> list[Strip] | None:
        return self.cards.get(key)

    def keep(self, card_id: int, version: int, key: tuple, strips: list[Strip]) -> None:
        """Cache a card's rendering; those of its earlier versions go: a card moved a
        thousand times would otherwise fill the cache with renderings nothing shows."""
        latest, keys = self._keys.get(card_id, (version, set()))
        if version != latest:
            for stale in keys:
                self.cards.discard(stale)
            keys = set()
        keys = {k for k in keys if k in self.cards}  # what the LRU dropped is gone
        keys.add(key)
        self._keys[card_id] = (max(version, latest), keys)
        self.cards[key] = strips

URGENCY_CLASSES = {"over": "lane-view--overdue", "low": "lane-view--low", "ok": "lane-view--meta"}
"""The component class a running box's time left is drawn with, at each ``timebox.urgency``."""
OUTCOME_MARK = {"validated": "✓ validated", "invalidated": "✗ invalidated",
                "inconclusive": "? inconclusive"}


class LaneView(ScrollView, can_focus=False):
    """The cards of one lane, in priority order, with a cursor."""

    COMPONENT_CLASSES = {
        "lane-view--card",
        "lane-view--cursor",
        "lane-view--meta",
        "lane-view--overdue",
        "lane-view--low",
        "lane-view--validated",
        "lane-view--invalidated",
        "lane-view--inconclusive",
        "lane-view--marker",
        "lane-view--title",
        "lane-view--blocked",
        "lane-view--label",
        "lane-view--waiting",
    }
    """
    | Class | Description |
    | :- | :- |
    | `lane-view--card` | A card. |
    | `lane-view--cursor` | The focused card. |
    | `lane-view--meta` | Ids, kinds and people. |
    | `lane-view--overdue` | A time box that has run out. |
    | `lane-view--low` | A time box in its last quarter. |
    | `lane-view--validated` etc. | Outcomes. |
    | `lane-view--blocked` | The mark of a blocked card. |
    | `lane-view--label` | Labels. |
    | `lane-view--waiting` | The mark of a card whose blockers are not in Done. |
    """

    DEFAULT_CSS = """
    LaneView {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .lane-view--card { background: $boost; }
        & > .lane-view--cursor { background: $accent 35%; text-style: bold; }
        & > .lane-view--marker { color: $accent; }
        & > .lane-view--title { color: $foreground; text-style: bold; }
        & > .lane-view--meta { color: $foreground-muted; }
        & > .lane-view--overdue { color: $error; text-style: bold; }
        & > .lane-view--low { color: $warning; }
        & > .lane-view--validated { color: $success; text-style: bold; }
        & > .lane-view--invalidated { color: $warning; text-style: bold; }
        & > .lane-view--inconclusive { color: $foreground-muted; text-style: bold; }
        & > .lane-view--blocked { color: $error; text-style: bold; }
        & > .lane-view--label { color: $accent; }
        & > .lane-view--waiting { color: $warning; text-style: bold; }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False)
    """Index of the focused card in ``cards``."""

    @dataclass
    class CardClicked(Message):
        """A card was clicked: the board focuses it (and opens it on a second click)."""

        lane_view: LaneView
        index: int

    def __init__(self, lane_index: int, cache: RenderCache, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lane_index = lane_index
        self.cache = cache
        self.cards: list[CardInfo] = []
        self.now = 0.0
        self.active = False
        """The focused lane draws its cursor card highlighted (an attribute, not a CSS class:
        a class change would restyle the lane's whole subtree on every key)."""
        self._line_width, self._line_top, self._blank = 0, 0, Strip([])

    @property
    def current(self) -> CardInfo | None:
        if 0 <= self.cursor < len(self.cards):
            return self.cards[self.cursor]
        return None

    def set_cards(self, cards: list[CardInfo], now: float, focus_id: int | None = None) -> None:
        """Show ``cards``; keep the cursor on ``focus_id`` (or the same card) if present.

        Rendered cards stay cached by id and version, so only what changed is drawn again."""
        keep = focus_id if focus_id is not None else (self.current.id if self.current else None)
        old_cards, old_cursor = self.cards, self.cursor
        self.cards = cards
        self.now = now
        index = next((i for i, c in enumerate(cards) if c.id == keep), None)
        self._fit_virtual_size()
        self.cursor = max(0, min(index if index is not None else self.cursor,
                                 len(cards) - 1)) if cards else 0
        if len(old_cards) == len(cards):  # the same cards in place: repaint only what changed
            top = int(self.scroll_offset.y) // CARD_HEIGHT
            for i in range(top, min(len(cards), top + self.size.height // CARD_HEIGHT + 2)):
                if cards[i] != old_cards[i] or (i in (old_cursor, self.cursor)
                                                and old_cursor != self.cursor):
                    self.refresh_lines(i * CARD_HEIGHT, CARD_HEIGHT)
        else:
            self.refresh()
        if self.active:  # a lane you are not in keeps its scroll, so new cards stay in view
            self.scroll_to_cursor()

    def _fit_virtual_size(self) -> None:
        """Scrollable height for the cards, changed as rarely as possible: a new virtual size
        means a new layout and a repaint of the whole screen. A lane that fits is exactly as
        tall as its view; a longer one grows in steps of a few cards."""
        rows = len(self.cards) * CARD_HEIGHT
        view = self.scrollable_content_region.height
        if rows <= view:
            height = view
        else:
            step = VIRTUAL_STEP * CARD_HEIGHT
            height = -(-rows // step) * step
        if self.virtual_size.height != height:
            self.virtual_size = Size(0, height)

    def set_now(self, now: float) -> None:
        """A new minute: cards show times in minutes, and their renders are keyed by the
        minute, so the lane repaints and the shared cache keeps what is still current."""
        self.now = now
        self.refresh()

    def invalidate(self) -> None:
        """Drop rendered cards and repaint (after a theme change)."""
        self.cache.clear()
        self.refresh()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _: self.invalidate())

    def set_active(self, active: bool) -> None:
        if active != self.active:
            self.active = active
            if self.cards:
                self.refresh_lines(self.cursor * CARD_HEIGHT, CARD_HEIGHT)

    def set_cursor(self, index: int) -> None:
        old = self.cursor
        self.cursor = max(0, min(index, len(self.cards) - 1)) if self.cards else 0
        if old != self.cursor:
            self.refresh_lines(old * CARD_HEIGHT, CARD_HEIGHT)
            self.refresh_lines(self.cursor * CARD_HEIGHT, CARD_HEIGHT)
        self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        if self.cards:
            self.scroll_to_region(Region(0, self.cursor * CARD_HEIGHT, 1, CARD_HEIGHT),
                                  animate=False, force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_virtual_size()
        self.scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        index = (event.y + int(self.scroll_offset.y)) // CARD_HEIGHT
        if 0 <= index < len(self.cards):
            self.post_message(self.CardClicked(self, index))

    def render_lines(self, crop: Region) -> list[Strip]:
        # what every line needs, worked out once per render rather than once per line
        self._line_width = self.scrollable_content_region.width
        self._line_top = int(self.scroll_offset.y)
        self._blank = Strip.blank(self._line_width, self.rich_style)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._line_width
        index, line = divmod(y + self._line_top, CARD_HEIGHT)
        if index >= len(self.cards) or width <= 0:
            return self._blank
        return self._card_strips(index, width)[line]

    def _card_strips(self, index: int, width: int) -> list[Strip]:
        card = self.cards[index]
        is_cursor = index == self.cursor
        met = card.id in self.cache.met and not card.outcome
        ticking = card.deadline is not None and card.clock_stop is None
        key = (card.id, card.version, card.log_count, card.waiting_on, met, width, is_cursor,
               self.active,
               (int(self.now // 60), card.overdue(self.now)) if ticking else None,
               self.cache.verdicts.get(card.id))
        cached = self.cache.card(card.id, card.version, key)
        if cached is None:
            cached = self._render_card(card, width, is_cursor)
            self.cache.keep(card.id, card.version, key, cached)
        return cached

    def _render_card(self, card: CardInfo, width: int, is_cursor: bool) -> list[Strip]:
        active = self.active
        base = self.rich_style + self.get_component_rich_style(
            "lane-view--cursor" if is_cursor and active else "lane-view--card")
        meta = self.get_component_rich_style("lane-view--meta", partial=True)
        marker = Text()  # a span, not the line's base style (lost on an empty line)
        marker.append("▌" if is_cursor and active else " ",
                      style=self.get_component_rich_style("lane-view--marker", partial=True))
        inner = max(width - 1, 1)

        marks = Text()  # kept whatever gives way: they say why nothing moves
        if card.blocked:
            marks.append("⊘ ", style=self.get_component_rich_style("lane-view--blocked",
                                                                   partial=True))
        if card.waiting_on:  # its blockers are not in Done yet
            marks.append("⧖ ", style=self.get_component_rich_style("lane-view--waiting",
                                                                   partial=True))
        verdict_mark, against = self.cache.verdicts.get(card.id, ("", False))
        if against:  # its outcome says the opposite of its evidence
            marks.append("⚠ ", style=self.get_component_rich_style("lane-view--waiting",
                                                                   partial=True))
        top = marks.copy()
        top.append(f"#{card.id} ", style=meta)
        top.append("hyp" if card.kind == "hypothesis" else "task", style=meta)
        right = Text()
        if card.outcome:
            right = Text(OUTCOME_MARK[card.outcome],
                         style=self.get_component_rich_style(f"lane-view--{card.outcome}",
                                                             partial=True))
        elif card.id in self.cache.met:  # a run met every criterion: time to decide
            right = Text("✓ criteria met", style=self.get_component_rich_style(
                "lane-view--validated", partial=True))
        else:
            left = card.remaining(self.now)
            if left is not None and card.clock_stop is None:
                name = URGENCY_CLASSES[urgency(left, card.timebox_seconds or 1)]
                right = Text(("" if left >= 0 else "! ") + short_left(left),
                             style=self.get_component_rich_style(name, partial=True))
        if right.cell_len:
            if top.cell_len + 1 + right.cell_len > inner:
                top = marks.copy()  # the kind gives way; the marks and the id stay
                top.append(f"#{card.id}", style=meta)
                room = inner - top.cell_len - 1
                if right.cell_len > room:
                    right.truncate(max(room, 0), overflow="ellipsis")
            if right.cell_len:
                top.append(" " * (inner - top.cell_len - right.cell_len))
                top.append_text(right)

        title_lines = self._title_lines(card.title, inner)
        people = Text(f"@{card.assignee}" if card.assignee else "", style=meta)
        logs = Text(f"✎ {card.log_count}", style=meta)
        if verdict_mark:  # the criteria's state: acc≥0.9 ✓, 2/3 ✗
            name = ("lane-view--validated" if verdict_mark.endswith("✓") else
                    "lane-view--invalidated" if verdict_mark.endswith("✗") else "lane-view--meta")
            shown = Text(verdict_mark, style=self.get_component_rich_style(name, partial=True))
            people_room = min(people.cell_len, 8) + 1 if people.cell_len else 0
            if shown.cell_len > inner - logs.cell_len - 2 - people_room:
                shown = Text(verdict_mark.rsplit(" ", 1)[-1], style=shown.style)  # the sign
            logs = shown + Text("  ") + logs
        if card.labels:
            label = self.get_component_rich_style("lane-view--label", partial=True)
            people.append(" " if people.cell_len else "")
            people.append(" ".join(f"‹{name}›" for name in card.labels), style=label)
            room = inner - 1 - logs.cell_len
            if people.cell_len > room:
                people.truncate(max(room, 1), overflow="ellipsis")
        if people.cell_len + 1 + logs.cell_len <= inner:
            people.append(" " * (inner - people.cell_len - logs.cell_len))
            people.append_text(logs)

        rows = [top, *title_lines, people]
        console = self.app.console
        strips = [literal_strip(marker + row, width, base, console) for row in rows]
        strips.append(Strip.blank(width, self.rich_style))
        return strips

    def _title_lines(self, title: str, width: int) -> list[Text]:
        key = (title, width)
        lines = self.cache.titles.get(key)
        if lines is None:
            text = rich_literal(title)
            text.stylize(self.get_component_rich_style("lane-view--title", partial=True))
            lines = fit_lines(text, width, TITLE_LINES, self.app.console)
            self.cache.titles[key] = lines
        return lines


def fit_lines(text: Text, width: int, count: int, console: Console) -> list[Text]:
    """``text`` wrapped to exactly ``count`` lines of ``width`` (an ellipsis if cut short).
    A word too long for a narrow lane ends in an ellipsis rather than breaking across lines
    ("believ" / "e"); in a wide lane a long word (a path, a URL) is folded."""
    lines = list(text.wrap(console, width,
                           overflow="fold" if width >= FOLD_WIDTH else "ellipsis"))
    if len(lines) > count:
        last = lines[count - 1]
        last.rstrip()
        last.truncate(max(width - 1, 0))
        last.append("…")
        lines = lines[:count]
    while len(lines) < count:
        lines.append(Text())
    return lines


def literal_strip(text: Text, width: int, base: Style, console: Console) -> Strip:
    """One line of text as a strip of exactly ``width`` cells on the ``base`` style (the
    text is cut or padded in place)."""
    text.truncate(width, overflow="ellipsis", pad=True)
    segments = [Segment(seg.text, base + seg.style if seg.style else base)
                for seg in text.render(console) if seg.text != "\n"]
    return Strip(segments).crop_extend(0, width, base)


class LaneHeader(Widget):
    """The lane's name (up to two lines), card count and WIP limit (``3/4``, flagged when over).

    One widget drawn with the line API: a header changes on most moves, and three widgets
    (a container and two labels) cost three renders a frame."""

    COMPONENT_CLASSES = {"lane-header--name"}

    DEFAULT_CSS = """
    LaneHeader {
        height: 3;
        padding: 0 1;
        background: $panel;
        color: $text;
        & > .lane-header--name { text-style: bold; }
        &.-over { background: $error 40%; }
    }
    """

    NAME_LINES = 2

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[LaneInfo, str, bool] | None = None
        self._active = False
        self._strips: dict[tuple, list[Strip]] = {}
        """Rendered headers by what they show: moving a card back and forth between two lanes
        flips each header between two looks."""

    def on_mount(self) -> None:
        def restyle(_: object) -> None:
            self._strips.clear()
            self._restyle()

        self.app.theme_changed_signal.subscribe(self, restyle)

    def set_active(self, active: bool) -> None:
        """Highlight the focused lane's header (an inline style: a CSS class would make the
        stylesheet match the header again on every key)."""
        if active != self._active:
            self._active = active
            self._restyle()

    def _restyle(self) -> None:
        theme = self.app.theme_variables
        self.styles.background = Color.parse(theme["panel"]).blend(
            Color.parse(theme["accent"]), 0.5) if self._active else None

    def show(self, lane: LaneInfo, shown: int, loaded: int, total: int) -> None:
        """``shown`` pass the filter, of ``loaded`` read, of ``total`` in the lane."""
        limit = lane.wip_limit
        over = limit is not None and total > limit
        count = f"{total}/{limit}" if limit else str(total)
        if shown != loaded:
            count = f"{shown} of {count}"
        elif loaded < total:
            count = f"{count} · latest {loaded}"
        state = (lane, count + (" over WIP" if over else ""), over)
        if state == self._shown:
            return
        self._shown = state
        self.set_class(over, "-over")
        self.refresh()

    def render_line(self, y: int) -> Strip:
        key = (self._shown, self._active, self.size.width)
        strips = self._strips.get(key)
        if strips is None:
            if len(self._strips) > 8:
                self._strips.clear()
            strips = self._strips[key] = self._draw_strips()
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _draw_strips(self) -> list[Strip]:
        width, base = self.size.width, self.rich_style
        if self._shown is None or width <= 0:
            return []
        lane, count, _ = self._shown
        name = rich_literal(f"{lane.number} {lane.name}")
        name.stylize(self.get_component_rich_style("lane-header--name", partial=True))
        lines = fit_lines(name, width, self.NAME_LINES, self.app.console)
        lines.append(Text(count))
        return [literal_strip(line, width, base, self.app.console) for line in lines]


class Lane(Vertical):
    """One lane: header and cards."""

    DEFAULT_CSS = """
    Lane { width: 1fr; height: 1fr; border-right: vkey $panel-lighten-2; }
    """

    def __init__(self, index: int, cache: RenderCache) -> None:
        super().__init__(id=f"lane-{index}")
        self.index = index
        self.header = LaneHeader()
        self.view = LaneView(index, cache)

    def compose(self) -> ComposeResult:
        yield self.header
        yield self.view

    def set_active(self, active: bool, narrow: bool) -> None:
        """Mark the focused lane. Lanes share the width equally (a width change would re-draw
        every card on screen at each key); in a narrow terminal the lanes you are not in
        shrink to their number and count, so the focused lane keeps room for a readable
        title."""
        self.header.set_active(active)
        self.view.set_active(active)
        width = ("1fr" if active else f"{NARROW_LANE}") if narrow else "1fr"
        if str(self.styles.width) != width:
            self.styles.width = width
