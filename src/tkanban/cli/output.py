"""Writing to standard output: text with controls shown as marks, and JSON with them escaped
(user text can never drive the terminal)."""

from __future__ import annotations

import json
import sys
from typing import Any


def out(text: str) -> None:
    from tkanban.core.model.text import visible

    sys.stdout.write(visible(text) + ("" if text.endswith("\n") else "\n"))


def out_json(data: Any) -> None:
    from tkanban.core.model.text import json_safe

    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def warn(text: str) -> None:
    """A warning on standard error, on one line, controls shown as marks."""
    from tkanban.core.model.text import visible

    print(f"tkanban: warning: {visible(text, multiline=False)}", file=sys.stderr)
