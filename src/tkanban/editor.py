"""Long text in the user's own editor: ``$VISUAL``, else ``$EDITOR``, else ``vi``, as ``git
commit`` does. Both faces use it: the command line (``log`` and ``edit --description`` with no
text) and the board (``ctrl+e`` in a multi-line field, the app suspended meanwhile)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path


def editor_command() -> list[str]:
    """The editor to run, split as a shell would split it (``code --wait`` works)."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(chosen) or ["vi"]


def edit_text(initial: str, *, name: str = "tkanban-text") -> str | None:
    """The text after the user edited ``initial`` in their editor; None when the editor could
    not be started or exited with a failure (then nothing should change)."""
    with tempfile.TemporaryDirectory(prefix="tkanban-") as folder:
        path = Path(folder) / f"{name}.md"
        path.write_text(initial, encoding="utf-8")
        try:
            result = subprocess.run([*editor_command(), str(path)], check=False)
        except OSError:
            return None
        if result.returncode != 0:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
