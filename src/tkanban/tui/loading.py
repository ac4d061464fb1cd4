"""One lock for the imports the app makes after it has started.

The board is on screen before the ORM behind the writes (about half a second of imports), the
forms and the retro have loaded: they are imported where first used, some in a background
thread. Two threads importing the ORM's package at once can each find the other's
half-initialised module and fail (a key pressed as the board opened crashed the app that
way), so every such import runs under this lock::

    with IMPORTING:
        from tkanban.core.board.cards import move_card
"""

from __future__ import annotations

import threading

IMPORTING = threading.RLock()
