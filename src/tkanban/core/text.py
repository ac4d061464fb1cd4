"""Checking user text on the way in and making stored text safe to show.

Text from users (titles, logs, names) is data. On the way in it is normalised (NFC) and refused
when it holds control characters or lone surrogates; on the way out, anything a terminal could
interpret (ESC, OSC, C1 bytes) is replaced by a visible symbol, in case a file was written by
another tool.
"""

from __future__ import annotations

import re
import unicodedata

from tkanban.core.errors import ValidationError

TITLE_MAX = 200
NAME_MAX = 64
LONG_TEXT_MAX = 20_000
LINE_MAX = 500

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_NAME = re.compile(r"^[\w.\-]+$")


def clean(value: str, field: str, *, max_len: int, multiline: bool = False,
          required: bool = False) -> str:
    """Return ``value`` normalised and stripped, or raise ``ValidationError`` naming ``field``."""
    if _SURROGATE.search(value):
        raise ValidationError(f"{field} contains invalid characters (lone surrogates)", field)
    value = unicodedata.normalize("NFC", value)
    pattern = _CONTROL if multiline else _CONTROL_ONE_LINE
    if (match := pattern.search(value)) is not None:
        code = ord(match.group())
        what = "a newline" if code == 10 else f"the control character U+{code:04X}"
        raise ValidationError(f"{field} must not contain {what}", field)
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{field} must not be empty", field)
    if len(value) > max_len:
        raise ValidationError(f"{field} is too long ({len(value)} > {max_len} characters)", field)
    return value


def clean_name(value: str, field: str = "user name") -> str:
    """A user or board name: letters, digits, ``_ . -``; used in ``@mentions``."""
    value = clean(value, field, max_len=NAME_MAX, required=True)
    if not _NAME.match(value):
        raise ValidationError(
            f"{field} may hold only letters, digits, '_', '.' and '-' (got {value!r})", field
        )
    return value


def visible(text: str, *, multiline: bool = True) -> str:
    """Replace every character a terminal could act on with a visible stand-in.

    C0 controls become their Unicode control pictures (ESC shows as ␛), DEL shows as ␡ and C1
    controls as ¿. Newlines and tabs are kept when ``multiline``.
    """

    def swap(match: re.Match[str]) -> str:
        code = ord(match.group())
        if multiline and code in (9, 10):
            return match.group()
        if code < 0x20:
            return chr(0x2400 + code)
        if code == 0x7F:
            return "\u2421"
        return "\u00bf"

    text = _SURROGATE.sub("\ufffd", text)
    return _CONTROL_ONE_LINE.sub(swap, text)
