"""The user's settings: ``config.toml`` in the user config folder (``tkanban config path``).

```toml
user = "alice"            # else $TKANBAN_USER, else the login
db = "~/boards/team.db"   # the board file when neither --db nor $TKANBAN_DB names one
board = "main"
theme = "nord"            # remembered when picked in the command palette
notify = true             # the terminal's own notifications (see README)

[keys]                    # action = "keys" (see tkanban keys); Textual key names, commas
move-right = "ctrl+l"
focus-next-card = "ctrl+n, down"
```

Read with the standard library's ``tomllib``. A file that is not valid TOML, a value of the
wrong type, an action that does not exist or a key given to two actions leaves the defaults
for what is wrong, with a problem naming the line; the board says so once and opens anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

STRINGS = ("user", "db", "board", "theme")


@dataclass
class Config:
    user: str | None = None
    db: str | None = None
    board: str | None = None
    theme: str | None = None
    notify: bool = True
    keys: dict[str, str] = field(default_factory=dict)
    """Action name → its keys (Textual key names, comma-separated), where the user moved it."""
    problems: list[str] = field(default_factory=list)
    """One line for each thing the file got wrong (the defaults stand for it)."""
    path: Path | None = None


def config_path() -> Path:
    from platformdirs import user_config_path  # only here: most commands never read it

    return user_config_path("tkanban", appauthor=False) / "config.toml"


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _normal(keys: str) -> str:
    return ",".join(part.strip() for part in keys.split(",") if part.strip())


def shown_path(path: Path | None) -> str:
    """A path as a notice shows it: under the home folder as ``~/…`` (a toast has little
    room, and the line number after it must stay in view)."""
    if path is None:
        return ""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def load_config(path: Path | None = None) -> Config:
    """The settings in ``path`` (the user's ``config.toml`` by default); a missing file is
    the defaults, without a problem."""
    import tomllib  # here: a script that gives --db, --board and --user never reads the file

    path = path or config_path()
    config = Config(path=path)
    shown = shown_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config
    except (OSError, UnicodeDecodeError) as exc:
        config.problems.append(f"{shown}: cannot be read ({exc}); using the defaults")
        return config
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        config.problems.append(f"{shown}: not valid TOML ({exc}); using the defaults")
        return config
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        config.problems.append(f"{shown}: nested too deeply to read; using the defaults")
        return config

    def problem(key: str, message: str) -> None:
        line = _line_of(text, key)
        where = f"{shown} line {line}" if line else shown
        config.problems.append(f"{where}: {message}")

    for key in STRINGS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str) and value.strip():
            setattr(config, key, value.strip())
        else:
            problem(key, f"{key} must be a text; ignored")
    if "notify" in data:
        if isinstance(data["notify"], bool):
            config.notify = data["notify"]
        else:
            problem("notify", "notify must be true or false; ignored")
    for key in data:
        if key not in (*STRINGS, "notify", "keys"):
            problem(key, f"unknown setting {key!r}; ignored")
    keys = data.get("keys", {})
    if not keys:
        return config
    from tkanban.user.keys import BY_NAME  # only for a file that moves keys

    if not isinstance(keys, dict):
        problem("keys", "keys must be a table ([keys]); the default keys stand")
        return config
    for name, value in keys.items():
        if name not in BY_NAME:
            problem(name, f"no action named {name!r} (tkanban keys lists them); ignored")
        elif not isinstance(value, str) or not _normal(value):
            problem(name, f"the keys of {name} must be a text such as \"ctrl+l\"; ignored")
        else:
            config.keys[name] = _normal(value)
    _drop_clashes(config, text)
    return config


def keys_in_force(keys: dict[str, str]) -> dict[str, str]:
    """Every action's keys: the user's where given, else the default."""
    from tkanban.user.keys import ACTIONS

    return {action.name: keys.get(action.name, action.keys) for action in ACTIONS}


def _drop_clashes(config: Config, text: str) -> None:
    """A key may do one thing on a screen: a user's key that another action of the same
    screen also has is dropped (that action keeps its default), and said."""
    from tkanban.user.keys import BY_NAME

    for name in list(config.keys):
        mine = set(config.keys[name].split(","))
        action = BY_NAME[name]
        for other, keys in keys_in_force(config.keys).items():
            if other == name or not action.where & BY_NAME[other].where:
                continue
            clash = mine & set(keys.split(","))
            if clash:
                line = _line_of(text, name)
                where = f"{shown_path(config.path)} line {line}" if line else shown_path(
                    config.path)
                config.problems.append(
                    f"{where}: {', '.join(sorted(clash))} is already {other}'s key; "
                    f"{name} keeps its default ({action.keys})")
                del config.keys[name]
                break


def remember(key: str, value: str, path: Path | None = None) -> None:
    """Set one top-level text setting in the file, keeping everything else as written."""
    import json
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    line = f"{key} = {json.dumps(value)}"  # a JSON string is a TOML basic string
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=.*$", re.MULTILINE)
    if pattern.search(text.split("\n[", 1)[0]):
        head, sep, tail = text.partition("\n[")
        text = pattern.sub(line, head, count=1) + sep + tail
    else:
        text = line + "\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
