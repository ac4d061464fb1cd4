"""Every action of the board in one table: its name, keys, what it does and where it applies.

The board screen's and the card pane's bindings (``tui.actions``), the help screen, the command
palette, ``tkanban keys`` and the README's key table are all built from or checked against
``ACTIONS``; the name is also the binding's id, so a user's key map (``config.toml``, applied
with Textual's ``App.set_keymap``) can move any action to other keys. No Textual here: the
command line reads this table too.
"""

from __future__ import annotations

from dataclasses import dataclass

BOARD, CARD, PALETTE = "board", "card", "palette"


@dataclass(frozen=True)
class Action:
    name: str
    """Stable id: the binding id and the palette's key (``move-right``)."""
    keys: str
    """Textual key names, comma-separated (``shift+right,L``); empty for palette-only."""
    shown: str
    """The keys as the help screen and the palette show them."""
    description: str
    run: str
    """The Textual action the keys trigger on the screen that has the binding."""
    where: frozenset[str]
    footer: bool = False
    """Listed in the screen's footer bindings (``show``)."""
    group: str = ""
    """Actions of one group share a row of the help screen (``GROUPS``)."""

    @property
    def title(self) -> str:
        """The palette entry's name: the description up to its colon, capitalised."""
        head = self.description.split(":")[0]
        return head[0].upper() + head[1:]



def _action(name: str, keys: str, shown: str, description: str, run: str,
            *where: str, footer: bool = False, group: str = "") -> Action:
    return Action(name, keys, shown, description, run, frozenset(where), footer, group)


GROUPS = {
    "focus": ("← → ↑ ↓ / h l k j", "focus a lane (← → / h l) or a card (↑ ↓ / k j)"),
    "move": ("shift+← shift+→ / H L", "move the card to the previous / next lane"),
    "reorder": ("shift+↑ shift+↓ / K J", "move the card up / down (priority)"),
    "undo": ("u U / ctrl+z ctrl+y", "undo your latest change / redo it"),
    "write": ("e / a / t", "edit it / add a research-log entry / time box"),
    "state": ("o / D / b", "record the outcome / close into Done / block or unblock the card"),
    "relate": ("c / enter / d", "relate the card; in its pane open / remove one"),
    "archive": ("x / A", "archive the card (asks first) / archived cards"),
}
"""Help rows standing for several actions: (keys, what they do)."""


ACTIONS: tuple[Action, ...] = (
    _action("focus-previous-lane", "left,h", "← / h", "focus the previous lane",
            "focus_lane(-1)", BOARD, group="focus"),
    _action("focus-next-lane", "right,l", "→ / l", "focus the next lane", "focus_lane(1)",
            BOARD, group="focus"),
    _action("focus-previous-card", "up,k", "↑ / k", "focus the card above", "focus_card(-1)",
            BOARD, group="focus"),
    _action("focus-next-card", "down,j", "↓ / j", "focus the card below", "focus_card(1)",
            BOARD, group="focus"),
    _action("focus-first-card", "home", "home", "focus the lane's top card",
            "focus_card(-1000000)", BOARD, group="focus"),
    _action("focus-last-card", "end", "end", "focus the lane's last card",
            "focus_card(1000000)", BOARD, group="focus"),
    _action("move-left", "shift+left,H", "shift+← / H", "move the card to the previous lane",
            "move_card(-1)", BOARD, PALETTE, group="move"),
    _action("move-right", "shift+right,L", "shift+→ / L", "move the card to the next lane",
            "move_card(1)", BOARD, PALETTE, group="move"),
    _action("move-up", "shift+up,K", "shift+↑ / K", "move the card up (priority)",
            "reorder(-1)", BOARD, PALETTE, group="reorder"),
    _action("move-down", "shift+down,J", "shift+↓ / J", "move the card down (priority)",
            "reorder(1)", BOARD, PALETTE, group="reorder"),
    _action("new-card", "n", "n", "new card in the focused lane", "new_card", BOARD, PALETTE,
            footer=True),
    _action("open-card", "enter", "enter", "open the card: details and research log",
            "open_card", BOARD, PALETTE, footer=True),
    _action("edit-card", "e", "e", "edit the card", "edit_card", BOARD, CARD, PALETTE,
            footer=True, group="write"),
    _action("log-entry", "a", "a", "add a research-log entry", "log_entry", BOARD, CARD,
            PALETTE, footer=True, group="write"),
    _action("timebox", "t", "t", "set or extend the time box", "timebox", BOARD, CARD,
            PALETTE, footer=True, group="write"),
    _action("outcome", "o", "o", "record the outcome", "outcome", BOARD, CARD, PALETTE,
            footer=True, group="state"),
    _action("close", "D", "D", "close into Done in one move (a hypothesis with its outcome)",
            "close_card", BOARD, CARD, PALETTE, footer=True, group="state"),
    _action("block", "b", "b", "block the card, saying why (or unblock it)", "block", BOARD,
            CARD, PALETTE, footer=True, group="state"),
    _action("relate", "c", "c", "relate the card: blocks, follows, duplicates…", "relate",
            BOARD, CARD, PALETTE, footer=True, group="relate"),
    _action("open-related", "enter", "enter", "open the highlighted related card",
            "open_related", CARD, group="relate"),
    _action("unrelate", "d", "d", "remove the highlighted relation", "unrelate", CARD,
            group="relate"),
    _action("link-run", "g", "g", "link or unlink a run (MLflow, DVCLive)", "link_run",
            BOARD, CARD, PALETTE, footer=True),
    _action("archive", "x", "x", "archive the card (asks first)", "archive", BOARD, PALETTE,
            footer=True, group="archive"),
    _action("filter", "slash", "/", "filter: @user kind: label: blocked waiting overdue",
            "filter", BOARD, PALETTE, footer=True),
    _action("mentions", "m", "m", "mentions of you", "mentions", BOARD, PALETTE, footer=True),
    _action("undo", "u,ctrl+z", "u / ctrl+z", "undo your latest change", "undo", BOARD, CARD,
            PALETTE, footer=True, group="undo"),
    _action("redo", "U,ctrl+y", "U / ctrl+y", "redo the change you undid", "redo", BOARD, CARD,
            PALETTE, footer=True, group="undo"),
    _action("archived", "A", "A", "archived cards: enter opens one, r restores it",
            "archived", BOARD, PALETTE, footer=True, group="archive"),
    _action("retro", "R", "R", "the monthly retro (← → changes the month)", "retro", BOARD,
            PALETTE, footer=True),
    _action("wip-limit", "w", "w", "set the focused lane's WIP limit", "wip_limit", BOARD,
            PALETTE, footer=True),
    _action("start-phase", "", "", "start a phase: a board-level time box with a goal",
            "start_phase", BOARD, PALETTE),
    _action("end-phase", "", "", "end the phase: record the go/stop decision", "end_phase",
            BOARD, PALETTE),
    _action("reload", "r", "r", "reload from the file now", "reload", BOARD, PALETTE,
            footer=True),
    _action("help", "question_mark", "?", "help: every key", "help", BOARD, CARD, PALETTE,
            footer=True),
    _action("clear-filter", "escape", "escape", "close the open pane or dialog; clear the filter",
            "clear_filter", BOARD),
    _action("close-card", "escape,q", "", "back to the board", "close", CARD, footer=True),
    _action("quit", "q,ctrl+c", "q / ctrl+c", "quit", "app.quit", BOARD, PALETTE, footer=True),
    _action("palette", "", "ctrl+p", "command palette", "", ),
)

BY_NAME = {action.name: action for action in ACTIONS}

FORM_KEYS: list[tuple[str, str, str]] = [
    ("tab / shift+tab", "next / previous field", "fields"),
    ("ctrl+s", "save (enter too, in a one-line field)", "save"),
    ("escape", "cancel: nothing changes", "cancel"),
    ("ctrl+e", "write a multi-line field in $VISUAL / $EDITOR", "editor"),
]
"""The keys of every form and dialog (their own bindings): keys, what they do, in a word."""


def palette_actions() -> list[Action]:
    return [action for action in ACTIONS if PALETTE in action.where]


KEY_NAMES = {"question_mark": "?", "slash": "/", "left": "←", "right": "→", "up": "↑",
             "down": "↓", "shift+left": "shift+←", "shift+right": "shift+→",
             "shift+up": "shift+↑", "shift+down": "shift+↓"}


def shown_keys(keys: str) -> str:
    """Textual key names as people read them: ``shift+right,L`` → ``shift+→ / L``."""
    return " / ".join(KEY_NAMES.get(key, key) for key in keys.split(",") if key)


def help_rows(moved: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(keys, what they do) for the help screen: each group once, then every keyed action.
    ``moved`` holds the actions the user put on other keys (config.toml): those show their
    own keys, and a group with a moved member is listed action by action."""
    moved = moved or {}
    broken = {action.group for action in ACTIONS if action.group and action.name in moved}
    rows: list[tuple[str, str]] = []
    for action in ACTIONS:
        if action.group and action.group not in broken:
            row = GROUPS[action.group]
            if row not in rows:
                rows.append(row)
        elif action.name in moved:
            rows.append((shown_keys(moved[action.name]), action.description))
        elif action.shown and action.name != "help":  # the help screen's title says it
            rows.append((action.shown, action.description))
    return rows
