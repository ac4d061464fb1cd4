"""Writing to standard output and standard error: text with controls shown as marks, JSON
with them escaped (user text can never drive the terminal), and one-line warnings."""

from __future__ import annotations

import json
import sys
from typing import Any

from tkanban.cli.arguments import PROG
from tkanban.core.model.text import json_safe, visible


def out(text: str) -> None:
    sys.stdout.write(visible(text) + ("" if text.endswith("\n") else "\n"))


def out_json(data: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def warn(text: str) -> None:
    """A warning on standard error, on one line, controls shown as marks."""
    print(f"{PROG}: warning: {visible(text, multiline=False)}", file=sys.stderr)


def usage_error(message: str) -> int:
    """A usage mistake the parser could not see: one line, exit status 2."""
    print(f"{PROG}: error: {visible(message, multiline=False)}", file=sys.stderr)
    return 2
