"""The action table, the README's key table and the user's key map agree."""

from __future__ import annotations

import re
from pathlib import Path

from tkanban.user.keys import ACTIONS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_key_table_matches_the_actions() -> None:
    text = README.read_text()
    table = text[text.index("## Keys"):]
    table = table[:table.index("\n\n", table.index("| key |"))]
    in_readme = set()
    for row in table.splitlines()[2:]:
        keys = row.split("|")[1]
        in_readme |= set(re.findall(r"`([^`]+)`", keys))
    in_table = {key for action in ACTIONS if action.shown for key in action.shown.split(" / ")}
    assert in_readme == in_table
