"""Checking user text on the way in and making stored text safe to show.

Text from users (titles, logs, names) is data. On the way in it is normalised (NFC) and refused
when it holds control characters or lone surrogates; on the way out, anything a terminal could
interpret (ESC, OSC, C1 bytes) and the bidirectional controls that reorder what follows them
(U+202A-202E, U+2066-2069) are replaced by visible marks, in case a file was written by another
tool. JSON keeps the text exactly, with those characters as ``\\u`` escapes; Markdown gets it
escaped, so that no user text becomes a heading, a list, a link or HTML.
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
_SHOWN_AS_MARKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BIDI = {0x202A: "LRE", 0x202B: "RLE", 0x202C: "PDF", 0x202D: "LRO", 0x202E: "RLO",
         0x2066: "LRI", 0x2067: "RLI", 0x2068: "FSI", 0x2069: "PDI"}
"""Bidirectional controls, shown by their Unicode abbreviations (``⟨RLO⟩``) instead of
obeyed: obeyed, they make text read in another order than it is stored."""
_JSON_ESCAPED = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
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


def from_outside(value: str, max_len: int) -> str:
    """Text a tracker, a forge or a file sent (a run's name, a status, a message), made to obey
    the rules typed text obeys instead of being refused for them: normalised, on one line,
    every character a terminal acts on shown as its visible mark (``visible``), at most
    ``max_len`` characters (cut with ``…``). Whatever it returns, ``clean`` accepts."""
    text = unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", value))
    text = " ".join(visible(text, multiline=False).split())
    return text if len(text) <= max_len else text[:max_len - 1].rstrip() + "…"


def metric_name(value: str) -> str | None:
    """A metric name as the log takes it (up to 64 characters, no control characters), or
    None: a name from outside that breaks the rules cannot be what a criterion names."""
    try:
        return clean(value, "metric name", max_len=64, required=True)
    except ValidationError:
        return None


def clean_name(value: str, field: str = "user name") -> str:
    """A user or board name: letters, digits, ``_ . -``; used in ``@mentions``."""
    value = clean(value, field, max_len=NAME_MAX, required=True)
    if not _NAME.match(value):
        raise ValidationError(
            f"{field} may hold only letters, digits, '_', '.' and '-' (got {value!r})", field
        )
    return value


LABELS_MAX = 10
"""Labels on one card at most."""
_LABEL = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,31}\Z")


def clean_labels(values: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Free labels (``data``, ``gpu``, ``client-x``): lower-cased, each up to 32 letters, digits
    or ``_ . -``, no repeats, sorted; a value may hold several separated by commas or spaces."""
    if isinstance(values, str):
        values = [values]
    found = {part.lower() for value in values for part in re.split(r"[,\s]+", value) if part}
    for label in sorted(found):
        if not _LABEL.match(label):
            raise ValidationError(f"bad label {label!r}: a label is up to 32 letters, digits, "
                                  "'_', '.' or '-', starting with a letter or digit", "labels")
    if len(found) > LABELS_MAX:
        raise ValidationError(f"a card takes at most {LABELS_MAX} labels", "labels")
    return tuple(sorted(found))


def visible(text: str, *, multiline: bool = True) -> str:
    """Replace every character a terminal could act on with a visible stand-in.

    C0 controls become their Unicode control pictures (ESC shows as ␛), DEL shows as ␡, C1
    controls as ¿ and bidirectional controls as their names (``⟨RLO⟩``). Newlines and tabs are
    kept when ``multiline``.
    """

    def swap(match: re.Match[str]) -> str:
        code = ord(match.group())
        if multiline and code in (9, 10):
            return match.group()
        if code < 0x20:
            return chr(0x2400 + code)
        if code == 0x7F:
            return "\u2421"
        if code in _BIDI:
            return f"\u27e8{_BIDI[code]}\u27e9"
        return "\u00bf"

    text = _SURROGATE.sub("\ufffd", text)
    return _SHOWN_AS_MARKS.sub(swap, text)


def json_safe(document: str) -> str:
    """A JSON document (from ``json.dumps`` with ``ensure_ascii=False``) with DEL, C1 and
    bidirectional controls written as ``\\uXXXX`` escapes: the same data, but nothing a
    terminal acts on when the JSON is printed. (JSON escapes C0 controls itself; these
    characters can only stand inside strings, where an escape means the same.)"""
    return _JSON_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


_MD_INLINE = re.compile(r"[\\`*_\[\]|~]")
_MD_LINE_START = re.compile(r"^([#+=:-]|\d+[.)])")


def markdown(text: str, *, indent: str = "") -> str:
    """User text for a Markdown document: shown as the text it is, never as structure.

    Characters a terminal acts on become visible marks (as on the board); ``& < >`` become
    entities (no HTML); emphasis, code, link and table characters are backslash-escaped; a
    line that would start a heading, a list, a quote or a setext underline has its first
    character escaped. Lines after the first get ``indent``, so that text inside a list item
    stays inside it; blank lines are dropped for the same reason.
    """
    text = visible(text).replace("\t", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(), text)
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        match = _MD_LINE_START.match(line)
        if match:
            end = match.end()
            line = line[:end - 1] + "\\" + line[end - 1:]
        lines.append(line)
    return ("\n" + indent).join(lines)


_MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][\w.\-]*)")


def find_mentions(text: str) -> list[str]:
    """The user names ``@mentioned`` in ``text``, lower-cased, without trailing dots."""
    names = {m.rstrip(".-").lower() for m in _MENTION.findall(text)}
    return sorted(n for n in names if n)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 card``, ``2 cards`` (``many`` for an irregular plural: ``entry``/``entries``)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
