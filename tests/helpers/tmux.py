"""A real terminal (tmux) running the installed command."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable


class Terminal:
    """One tmux session running tkanban."""

    def __init__(self, command: list[str], width: int, height: int, env: dict[str, str]) -> None:
        self.name = f"tk-{uuid.uuid4().hex[:8]}"
        self.socket = f"tk-{uuid.uuid4().hex[:8]}"
        env_args = [f"{k}={v}" for k, v in env.items()]
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                   "env", "-u", "COLUMNS", "-u", "LINES", *env_args, *command)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def keys(self, *keys: str, pause: float = 0.4) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", self.name, key)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)
        time.sleep(0.4)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def title(self) -> str:
        return self._tmux("display-message", "-p", "-t", self.name, "#{pane_title}").strip()

    def wait_for(self, check: Callable[[str], bool], timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the screen was:\n{text}")
            time.sleep(0.2)

    def alive(self) -> bool:
        result = subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", self.name],
                                capture_output=True)
        return result.returncode == 0

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def terminal_env() -> dict[str, str]:
    return {"TERM": "xterm-256color", "TKANBAN_USER": "alice", "HOME": os.environ["HOME"],
            "PATH": os.environ["PATH"], "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
