"""Turning user text into things Textual shows literally (never markup, never escapes)."""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from tkanban.core.model.text import visible


def literal(text: str, style: str = "", *, multiline: bool = True) -> Content:
    """User text as Content: no markup parsed, control characters shown as symbols."""
    content = Content(visible(text, multiline=multiline))
    return content.stylize(style) if style else content


def rich_literal(text: str, style: str = "") -> Text:
    """User text as a rich Text for line rendering (one line; controls shown as symbols)."""
    return Text(visible(text, multiline=False).replace("\t", " "), style=style)
