"""Long text in the user's own editor: ``$VISUAL``, else ``$EDITOR``, else ``vi``, as ``git
commit`` does. Both faces use it: the command line (``log`` and ``edit --description`` with no
text) and the board (``ctrl+e`` in a multi-line field, the app suspended meanwhile).

While the editor runs, ``ctrl+c`` is the editor's: it reaches the editor (which may stop, or
use it as vi does), never tkanban, so the board and its form outlive it. A second ``ctrl+c``
within two seconds stops an editor that ignored the first.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tkanban.core.errors import TkanbanError

SECOND_CTRL_C = 2.0
"""Seconds within which a second ctrl+c stops an editor that is still running."""


class EditorError(TkanbanError):
    """The editor cannot be run (a ``$EDITOR`` that is not a command, or not found)."""


_forbidden: list[str] = []


def forbid(reason: str) -> None:
    """No editor in this process from now on (a board served to a browser: a page must not
    start a process on the serving machine); ``edit_text`` raises ``EditorError(reason)``."""
    _forbidden.append(reason)


def editor_command() -> list[str]:
    """The editor to run, split as a shell would split it (``code --wait`` works)."""
    name = "VISUAL" if os.environ.get("VISUAL") else "EDITOR"
    chosen = os.environ.get(name) or "vi"
    try:
        return shlex.split(chosen) or ["vi"]
    except ValueError as exc:
        raise EditorError(f"${name} cannot be read as a command ({exc}): {chosen!r}") from None


def edit_text(initial: str, *, name: str = "tkanban-text") -> str | None:
    """The text after the user edited ``initial`` in their editor; None when the editor
    exited with a failure or was stopped (then nothing should change). ``EditorError`` when
    it cannot be started at all."""
    if _forbidden:
        raise EditorError(_forbidden[0])
    command = editor_command()
    with tempfile.TemporaryDirectory(prefix="tkanban-") as folder:
        path = Path(folder) / f"{name}.md"
        path.write_text(initial, encoding="utf-8")
        try:
            proc = subprocess.Popen([*command, str(path)])
        except OSError as exc:
            raise EditorError(f"the editor {command[0]!r} cannot be started "
                              f"({exc.strerror or exc}); set $EDITOR") from None
        with _ctrl_c_for(proc):
            code = proc.wait()
        if code != 0:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


@contextlib.contextmanager
def _ctrl_c_for(proc: subprocess.Popen[Any]) -> Iterator[None]:
    """While ``proc`` runs, SIGINT (ctrl+c, sent to the editor and to us alike) does not stop
    tkanban; a second one within ``SECOND_CTRL_C`` seconds stops the editor."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    last: list[float] = []

    def on_ctrl_c(signum: int, frame: object) -> None:
        now = time.monotonic()
        if last and now - last[-1] <= SECOND_CTRL_C and proc.poll() is None:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)
            if proc.poll() is None:
                proc.kill()
        last.append(now)

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
