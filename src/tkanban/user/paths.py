"""Where tkanban's files live. The one seam tests patch."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """The board file used when neither ``--db`` nor ``TKANBAN_DB`` names one."""
    from platformdirs import user_data_path  # only here: a script naming its file skips it

    return user_data_path("tkanban", appauthor=False) / "tkanban.db"


def resolve_db_path(explicit: str | None, configured: str | None = None) -> Path | str:
    """``--db`` first, then ``TKANBAN_DB``, then ``db`` in config.toml, then the platform's
    user data folder: a board file's path, or a URL (``postgresql://``) as given."""
    for given in (explicit, os.environ.get("TKANBAN_DB"), configured):
        if given:  # a URL stays as given (Store.open tells which it can open)
            return given if "://" in given else Path(given).expanduser()
    return default_db_path()
