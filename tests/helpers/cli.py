"""Running the command line: in the test's own process (``run_cli``: what a script sees, without
starting Python for every command), or as the installed command (``run_installed``, for the
few tests about the program itself: its script, ``python -m``, signals, a terminal)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from tkanban.program import main


@dataclass
class Result:
    """What a command left: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def _argv(args: tuple[str, ...], db: Path | str | None, user: str | None) -> list[str]:
    argv = [] if db is None else ["--db", str(db)]
    return argv + ([] if user is None else ["--user", user]) + list(args)


def run_cli(*args: str, db: Path | str | None = None, user: str | None = None,
            input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """``tkanban ARGS`` run in this process, as the program's ``main``, with standard input
    ``input`` (not a terminal) and the variables ``env`` set meanwhile."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), _stdin(input or ""), redirect_stdout(out), \
            redirect_stderr(err):
        try:
            code = main(_argv(args, db, user))
        except SystemExit as exc:  # argparse: a usage error, --help, --version
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return Result(code, out.getvalue(), err.getvalue())


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    before = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _stdin(text: str) -> Iterator[None]:
    before = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = before


def tkanban_exe() -> list[str]:
    """The installed console script next to this Python, else ``python -m tkanban``."""
    exe = Path(sys.executable).parent / "tkanban"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("tkanban")
    return [found] if found else [sys.executable, "-m", "tkanban"]


def run_installed(*args: str, db: Path | str | None = None, user: str | None = None,
                  input: str | None = None,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``tkanban ARGS`` as a process of its own."""
    return subprocess.run([*tkanban_exe(), *_argv(args, db, user)], capture_output=True,
                          text=True, input=input, env={**os.environ, **(env or {})},
                          timeout=60)


def in_a_terminal(args: list[str], db: Path | str, editor: str) -> int:
    """The installed command with a terminal on standard input (so that it may open the
    editor); its exit status."""
    leader, follower = os.openpty()
    try:
        env = {**os.environ, "EDITOR": editor, "VISUAL": ""}
        return subprocess.run([*tkanban_exe(), "--db", str(db), *args], stdin=follower,
                              capture_output=True, env=env, timeout=60).returncode
    finally:
        os.close(leader)
        os.close(follower)


Outcome = Result | subprocess.CompletedProcess[str]


def ok(result: Outcome) -> str:
    """Exit 0; what it printed."""
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails(result: Outcome, text: str) -> str:
    """Exit 1 with one line on stderr holding ``text``, and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr, result.stderr
    return result.stderr


def fails_with(result: Outcome, code: int, text: str) -> None:
    """Exit ``code`` saying ``text``, no traceback; one line for exit 1."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


def one_line_error(result: Outcome) -> str:
    """Exit 1, no traceback; the last line on stderr (the error)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert lines and "Traceback" not in result.stderr, result.stderr
    return lines[-1]
