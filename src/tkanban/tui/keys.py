"""The keys of the board, in one table the bindings, the help screen and the palette share."""

from __future__ import annotations

BOARD_KEYS: list[tuple[str, str, str]] = [
    ("← → ↑ ↓ / h l k j", "focus a lane (← → / h l) or a card (↑ ↓ / k j)", ""),
    ("shift+← shift+→ / H L", "move the card to the previous / next lane", ""),
    ("shift+↑ shift+↓ / K J", "move the card up / down (priority)", ""),
    ("n", "new card in the focused lane", "new_card"),
    ("enter", "open the card: details and research log", "open_card"),
    ("e", "edit the card", "edit_card"),
    ("a", "add a research-log entry", "log_entry"),
    ("t", "set or extend the time box", "timebox"),
    ("o", "record the outcome", "outcome"),
    ("x", "archive the card (asks first)", "archive"),
    ("/", "filter: text, @user, kind:hypothesis, overdue", "filter"),
    ("m", "mentions of you", "mentions"),
    ("R", "the monthly retro (← → changes the month)", "retro"),
    ("w", "set the focused lane's WIP limit", "wip_limit"),
    ("r", "reload from the file now", "reload"),
    ("?", "help: every key", "help"),
    ("escape", "close the open pane or dialog; clear the filter", ""),
    ("q", "quit", "quit"),
    ("ctrl+p", "command palette", ""),
]
"""(keys, what they do, the board action name for the command palette)."""

FORM_KEYS: list[tuple[str, str]] = [
    ("tab / shift+tab", "next / previous field"),
    ("ctrl+s", "save (enter too, in a one-line field)"),
    ("escape", "cancel: nothing changes"),
]
