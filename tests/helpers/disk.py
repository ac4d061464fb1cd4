"""A small disk (tmpfs) to fill up."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\1" * 1024)
        except OSError:
            pass
    return filler


def mount_tmpfs(path: Path, size: str) -> bool:
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                            capture_output=True)
    return result.returncode == 0
