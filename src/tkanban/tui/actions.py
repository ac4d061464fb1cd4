"""The Textual side of the action table (``tkanban.user.keys``): bindings built from it."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from tkanban.user.keys import (
    ACTIONS,
    BOARD,
    CARD,
    FORM_KEYS,
    PALETTE,
    Action,
    help_rows,
    palette_actions,
)

__all__ = ["ACTIONS", "BOARD", "CARD", "FORM_KEYS", "PALETTE", "Action", "bindings", "help_rows",
           "palette_actions"]


def binding(action: Action) -> Binding:
    return Binding(action.keys, action.run, action.description, show=action.footer,
                   id=action.name)


def bindings(where: str) -> list[BindingType]:
    """The bindings of the screen ``where`` (``BOARD`` or ``CARD``)."""
    return [binding(action) for action in ACTIONS if where in action.where and action.keys]
