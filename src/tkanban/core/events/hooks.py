"""Delivering events to hooks (``tkanban watch``): a command run with the event on its standard
input, or a webhook POSTed the event's JSON (or a Slack / Mattermost ``{"text": …}`` body).

Each hook has its own thread and its own queue, so a slow or failing hook never holds up
another. A failed delivery is retried with backoff (1 s, 2 s, 4 s … at most a minute apart)
while later events go on to the same hook; it is given up only after ``give_up`` seconds of
failures (or at once for an answer that says retrying cannot help, such as HTTP 404). The
watcher keeps its cursor in the board at the oldest event some hook still owes: a watcher
killed and restarted delivers again from there (every event at least once; receivers drop
repeats by the event's id).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tkanban import __version__
from tkanban.core import net
from tkanban.core.events.changes import Event
from tkanban.core.model.text import json_safe

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
"""Seconds before the first retry of a failed delivery, and at most between two."""
ANSWER_MAX = 65536
"""Bytes of a webhook's answer read at most (only its status is used)."""

Log = Callable[[str], None]


class Permanent(Exception):
    """A failure retrying cannot mend (a webhook answering 404)."""


def slack_text(event: Event) -> str:
    """The event as a Slack / Mattermost message: user text can neither format it nor ping a
    channel (``&``, ``<`` and ``>`` escaped, ``@channel`` and the like defused)."""
    text = event.summary().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for word in ("channel", "here", "all", "everyone"):
        text = text.replace(f"@{word}", f"@\u200b{word}")
    return f"{text} (event {event.id})"


def event_env(event: Event) -> dict[str, str]:
    """The event's fields as ``TKANBAN_EVENT_*`` variables for a hook command."""
    card = event.data.get("card") or {}
    entry = event.data.get("entry") or {}
    fields = {
        "ID": event.id, "TYPE": event.type, "AT": event.to_json()["at"], "ACTOR": event.actor,
        "BOARD": event.board, "SUMMARY": event.summary(), "CARD_ID": card.get("id", ""),
        "CARD_TITLE": card.get("title", ""), "CARD_LANE": card.get("lane_slug", ""),
        "CARD_ASSIGNEE": card.get("assignee") or "", "TEXT": entry.get("text", ""),
        "MENTIONS": " ".join(event.mentions), "FROM": event.data.get("from") or "",
        "TO": event.data.get("to") or "",
    }
    return {f"TKANBAN_EVENT_{k}": str(v).replace("\0", "") for k, v in fields.items()}


def event_json(event: Event) -> str:
    return json_safe(json.dumps(event.to_json(), ensure_ascii=False))


class Hook:
    """Somewhere events go. ``deliver`` raises on failure."""

    label = ""

    def deliver(self, event: Event) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """The watcher stops: end what is under way."""


class CommandHook(Hook):
    """A shell command, given the event's JSON on standard input and its fields in
    ``TKANBAN_EVENT_*``; it fails by exiting non-zero or by outliving ``timeout`` (it is then
    killed, with whatever it started)."""

    def __init__(self, command: str, timeout: float) -> None:
        self.command, self.timeout = command, timeout
        self.label = f"command {command!r}"
        self._running: subprocess.Popen[bytes] | None = None

    def close(self) -> None:
        """Kill a command still running, with whatever it started (it would outlive the
        watcher, holding its terminal or pipes)."""
        proc = self._running
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

    def deliver(self, event: Event) -> None:
        proc = subprocess.Popen(["/bin/sh", "-c", self.command], stdin=subprocess.PIPE,
                                env={**os.environ, **event_env(event)},
                                start_new_session=True)  # its own group: killed whole
        self._running = proc
        try:
            try:
                assert proc.stdin is not None
                proc.stdin.write((event_json(event) + "\n").encode())
                proc.stdin.close()
            except BrokenPipeError:  # it did not read its input: that is its business
                pass
            code = proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise RuntimeError(f"still running after {self.timeout:g} s: killed") from None
        finally:
            self._running = None
        if code != 0:
            raise RuntimeError(f"exited with status {code}")


class WebhookHook(Hook):
    """An HTTP POST of the event's JSON, or of ``{"text": …}`` for Slack and Mattermost
    incoming webhooks (``slack``). Only a 2xx answer delivers it; a redirect is not followed
    (a POST redirected elsewhere would arrive as a GET without its body) and fails like any
    other answer. The whole request, answer included, must end within ``timeout``."""

    def __init__(self, url: str, form: str, timeout: float) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - a bad port raises here
        except ValueError:
            raise ValueError(f"not an http(s) URL: {url!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url, self.form, self.timeout = url, form, timeout
        self.waits = net.Waits()
        # the path of a Slack webhook is its secret: logs show the host only
        self.label = f"webhook {parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"

    def close(self) -> None:
        """End a request under way (the watcher stops)."""
        self.waits.close()

    def deliver(self, event: Event) -> None:
        body = ({"text": slack_text(event)} if self.form == "slack" else event.to_json())
        try:
            net.request(self.url, method="POST",
                        body=json.dumps(body, ensure_ascii=False).encode(),
                        headers={"Content-Type": "application/json",
                                 "User-Agent": f"tkanban/{__version__}",
                                 "X-Tkanban-Event": event.type,
                                 "X-Tkanban-Event-Id": str(event.id)},
                        deadline=self.timeout, max_bytes=ANSWER_MAX, whole=False,
                        waits=self.waits)
        except net.NetError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (
                    408, 425, 429):
                raise Permanent(str(exc)) from None
            raise RuntimeError(str(exc)) from None


@dataclass(order=True)
class _Try:
    when: float
    event_id: int
    event: Event = field(compare=False)
    first: float = field(compare=False)
    attempt: int = field(compare=False, default=0)


class Deliverer:
    """One hook's queue and thread: events in order of id, each retried on its own."""

    def __init__(self, hook: Hook, log: Log, give_up: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.hook, self.log, self.give_up, self.clock = hook, log, give_up, clock
        self._queue: list[_Try] = []
        self._owed: set[int] = set()
        self._lock = threading.Condition()
        self._stop = False
        self.delivered = 0
        self.thread = threading.Thread(target=self._run, name=hook.label, daemon=True)
        self.thread.start()

    def add(self, event: Event) -> None:
        now = self.clock()
        with self._lock:
            heapq.heappush(self._queue, _Try(now, event.id, event, now))
            self._owed.add(event.id)
            self._lock.notify()

    def owed(self) -> int | None:
        """The oldest event this hook still owes (None when it owes none)."""
        with self._lock:
            return min(self._owed) if self._owed else None

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify()
        self.hook.close()

    def _next(self) -> _Try | None:
        with self._lock:
            while not self._stop:
                if self._queue and self._queue[0].when <= self.clock():
                    return heapq.heappop(self._queue)
                wait = (self._queue[0].when - self.clock()) if self._queue else None
                self._lock.wait(wait)
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            event, label = item.event, self.hook.label
            try:
                self.hook.deliver(event)
            except Exception as exc:  # noqa: BLE001 - a hook's failure is reported, not ours
                now = self.clock()
                permanent = isinstance(exc, Permanent)
                if permanent or now - item.first >= self.give_up:
                    self.log(f"gave up on event {event.id} ({event.type}) for {label}: {exc}")
                    self._done(event.id)
                    continue
                delay = min(BACKOFF_FIRST * 2 ** item.attempt, BACKOFF_MAX)
                self.log(f"event {event.id} ({event.type}) to {label} failed: {exc}; "
                         f"retrying in {delay:g} s")
                with self._lock:
                    heapq.heappush(self._queue, _Try(now + delay, event.id, event, item.first,
                                                     item.attempt + 1))
                continue
            self.delivered += 1
            self._done(event.id)

    def _done(self, event_id: int) -> None:
        with self._lock:
            self._owed.discard(event_id)


def low_water(deliverers: list[Deliverer], fetched: int) -> int:
    """The cursor to keep: every event up to it is delivered (or given up) everywhere."""
    owed = [o for d in deliverers if (o := d.owed()) is not None]
    return min(owed) - 1 if owed else fetched

