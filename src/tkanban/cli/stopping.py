"""A command asked to stop (SIGTERM, or SIGHUP from a closed terminal or a dropped SSH
session) ends cleanly: SQL still to run is refused (a transaction under way rolls back whole),
a network wait under way ends at once, and the command exits as soon as its Python code
returns, with 128 + the signal's number. Raising an exception in the handler instead could
land anywhere, even in a finaliser that would swallow it."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tkanban.core.storage.base import Store

stopped_by: list[int] = []
"""The signals that asked this command to stop, first first."""
open_stores: list[Store] = []
"""The stores the command has open: a signal cancels what they run."""


def stopped() -> bool:
    return bool(stopped_by)


def _stop(signum: int, frame: object) -> None:
    stopped_by.append(signum)
    for store in open_stores:
        store.cancel()
    net = sys.modules.get("tkanban.core.net")  # loaded only by a command that reaches out
    if net is not None:
        net.PROCESS.close()  # a request under way ends now, however slow its server


@contextmanager
def caught() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP while the block runs (in the main thread), so that a write
    in flight is committed or rolled back whole rather than cut between two statements."""
    stopped_by.clear()
    net = sys.modules.get("tkanban.core.net")
    if net is not None:  # an earlier command in this process was stopped
        net.PROCESS.reopen()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        open_stores.clear()
