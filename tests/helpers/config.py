"""A config.toml that moves keys."""

from __future__ import annotations

from pathlib import Path


def write_config(home: Path, text: str) -> Path:
    path = home / ".config" / "tkanban" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


MOVED = '[keys]\nmove-right = "ctrl+l"\nfocus-next-card = "ctrl+n"\n'
