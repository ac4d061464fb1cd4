"""Run a program in a pseudo-terminal and time what it draws, as a terminal would see it.

The harness answers the app's query for synchronized output (DEC mode 2026), so every frame
arrives between ``ESC[?2026h`` and ``ESC[?2026l``: a keypress is timed from the moment its
bytes are written to the moment the frame that follows it has been fully received. The first
frames may come before the app has read that answer, unmarked; one of those ends with the burst
of output that carries it.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time
from itertools import pairwise

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
FRAME_END = b"\x1b[?2026l"
BURST_GAP = 0.003
"""Seconds without output that end an unmarked frame."""


class PtyApp:
    """A child process on a pseudo-terminal of ``width`` x ``height``."""

    def __init__(self, argv: list[str], env: dict[str, str], width: int = 120,
                 height: int = 35) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: size the terminal, then become the app
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self.frames: list[tuple[float, int]] = []
        """(time each frame ended, length of the output by then)."""
        self.reads: list[tuple[float, int]] = []
        """(time of each read, length of the output after it)."""

    def pump(self, timeout: float) -> bool:
        """Read what the app wrote within ``timeout`` seconds; True if anything came."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            return False
        now = time.perf_counter()
        if SYNC_QUERY in data:
            os.write(self.fd, SYNC_REPLY)
        start = len(self.output)
        self.output += data
        self.reads.append((now, len(self.output)))
        search_from = max(0, start - len(FRAME_END))
        while (index := self.output.find(FRAME_END, search_from)) != -1:
            self.frames.append((now, index))
            search_from = index + 1
        return True

    def wait_for(self, text: bytes, timeout: float = 30.0, since: int = 0) -> float:
        """Time at which a frame containing ``text`` (after output offset ``since``) ended.

        An app draws its first frames before it has read the terminal's answer about
        synchronized output, so they come unmarked: such a frame ends with the burst of output
        that carries it (the next read comes after a pause of ``BURST_GAP`` or more)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            found = self.output.find(text, since)
            if found != -1:
                marked = next((ended for ended, index in self.frames if index > found), None)
                burst = self._burst_end(found)
                if burst is not None or marked is not None:
                    return min(t for t in (marked, burst) if t is not None)
            self.pump(0.05)
        raise TimeoutError(f"{text!r} never appeared")

    def _burst_end(self, offset: int) -> float | None:
        """When the burst of reads carrying output ``offset`` ended (None while it goes on)."""
        first = next(i for i, (_, length) in enumerate(self.reads) if length > offset)
        for (at, _), (later, _) in pairwise(self.reads[first:]):
            if later - at >= BURST_GAP:
                return at
        if time.perf_counter() - self.reads[-1][0] >= BURST_GAP:
            return self.reads[-1][0]
        return None

    def key(self, data: bytes, timeout: float = 5.0) -> float:
        """Send a key; seconds until the next whole frame arrived."""
        seen = len(self.frames)
        sent = time.perf_counter()
        os.write(self.fd, data)
        deadline = sent + timeout
        while len(self.frames) == seen and time.perf_counter() < deadline:
            self.pump(0.5)
        if len(self.frames) == seen:
            raise TimeoutError(f"no frame after {data!r}")
        return self.frames[seen][0] - sent

    def settle(self, quiet: float = 0.5, limit: float = 10.0) -> None:
        """Read until the app has drawn nothing for ``quiet`` seconds."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline and self.pump(quiet):
            pass

    def cpu_seconds(self) -> float:
        """User and system CPU the process has used so far (from /proc)."""
        with open(f"/proc/{self.pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_memory(self) -> float | None:
        """The process's own peak resident memory so far, in MB (``VmHWM``), or None.

        Not the ``ru_maxrss`` that ``wait4`` reports: on Linux a child's count starts from
        what its parent held when it forked, and this harness, which has built the boards,
        is a big parent (a bare Textual app read 57 MB that way and 34 MB alone). ``VmHWM``
        belongs to the memory the app's own program image started with at ``exec``."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def finish(self, quit_key: bytes) -> float:
        """Quit with ``quit_key``; returns the peak resident memory in MB (``peak_memory``
        just before quitting: a high-water mark only grows)."""
        peak = self.peak_memory()
        os.write(self.fd, quit_key)
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            pid, _, usage = os.wait4(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return peak if peak is not None else usage.ru_maxrss / 1024
            self.pump(0.05)
        os.kill(self.pid, 9)
        _, _, usage = os.wait4(self.pid, 0)
        os.close(self.fd)
        return peak if peak is not None else usage.ru_maxrss / 1024
