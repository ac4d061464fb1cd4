"""HTTP to the services outside the board (an MLflow tracking server, webhooks), with the
standard library's client and the limits an untrusted service needs:

* a deadline for the whole request, not for each read: when it passes, a watchdog shuts the
  socket down, however slowly the other side trickles its headers or its body;
* a bound on the answer's size;
* no redirect followed: a redirect is an answer like any other non-2xx one (a POST redirected
  to another host would arrive there as a GET without its body);
* one switch that ends every request under way at once and refuses new ones (``Waits.close``):
  SIGTERM and SIGHUP on the command line, quitting the board, a watcher stopping.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

CHUNK = 65536


class NetError(Exception):
    """The request failed: no answer, an answer too slow or too large, or a non-2xx status
    (``status``, with the start of the answer's ``body``)."""

    def __init__(self, message: str, status: int | None = None, body: bytes = b"",
                 location: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.location = location
        """Where a redirect pointed (not followed)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes


class _Watch:
    """One request's sockets, shut down when its deadline passes or its group closes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.why: str | None = None
        """Why the request was ended early (``deadline``, ``closed``), if it was."""

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            ended = self.why is not None
        if ended:
            _shut(sock)

    def end(self, why: str) -> None:
        with self._lock:
            if self.why is None:
                self.why = why
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: a read blocked in another thread returns at once
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class Waits:
    """Requests that end together: ``close`` ends those under way at once and refuses new
    ones until ``reopen``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[_Watch] = set()
        self.closed = False

    def close(self) -> None:
        with self._lock:
            self.closed = True
            under_way = list(self._open)
        for watch in under_way:
            watch.end("closed")

    def reopen(self) -> None:
        with self._lock:
            self.closed = False

    def _enter(self, watch: _Watch) -> None:
        with self._lock:
            if self.closed:
                raise NetError("stopped")
            self._open.add(watch)

    def _leave(self, watch: _Watch) -> None:
        with self._lock:
            self._open.discard(watch)


PROCESS = Waits()
"""The process's own requests: a signal to stop, or the board quitting, closes it."""


def _handlers(watch: _Watch) -> list[Any]:
    """urllib handlers whose connections tell ``watch`` of their sockets, and that follow no
    redirect."""

    class Plain(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class Secure(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class PlainHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Plain, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Secure, req)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # urllib then raises HTTPError with the 3xx status

    return [PlainHandler(), SecureHandler(), NoRedirect()]


def request(url: str, *, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, deadline: float, max_bytes: int,
            whole: bool = True, waits: Waits = PROCESS) -> Answer:
    """The 2xx answer to one HTTP request, read whole within ``deadline`` seconds and at most
    ``max_bytes`` long (with ``whole`` false, a longer answer is cut there instead of
    refused); anything else raises ``NetError`` with a short reason."""
    watch = _Watch()
    waits._enter(watch)
    timer = threading.Timer(deadline, watch.end, ("deadline",))
    timer.daemon = True
    started = time.monotonic()
    try:
        timer.start()
        opener = urllib.request.build_opener(*_handlers(watch))
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with opener.open(req, timeout=max(deadline, 0.001)) as answer:
                data = _read(answer, max_bytes, whole)
                if watch.why is not None:
                    raise OSError("cut short")
                return Answer(answer.status, answer.headers, data)
        except urllib.error.HTTPError as exc:
            if watch.why is not None:
                raise _ended(watch, deadline) from None
            start = b""
            with contextlib.suppress(OSError, http.client.HTTPException):
                start = exc.read(CHUNK)
            location = exc.headers.get("Location", "") if exc.headers else ""
            raise NetError(_status_text(exc.code, exc.reason, location), exc.code, start,
                           location) from None
        except NetError:
            raise
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            if watch.why is not None or time.monotonic() - started >= deadline:
                raise _ended(watch, deadline) from None
            reason = getattr(exc, "reason", None) or exc
            raise NetError(str(reason) or type(exc).__name__) from None
    finally:
        timer.cancel()
        waits._leave(watch)


def _read(answer: http.client.HTTPResponse, max_bytes: int, whole: bool) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := answer.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            if not whole:
                parts.append(chunk[:max_bytes - size])
                break
            raise NetError(f"the answer is larger than {max_bytes:,} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _ended(watch: _Watch, deadline: float) -> NetError:
    if watch.why == "closed":
        return NetError("stopped")
    return NetError(f"no complete answer within {deadline:g} s")


def _status_text(code: int, reason: str, location: str) -> str:
    text = f"HTTP {code} {reason}".strip()
    if 300 <= code < 400:
        where = urlsplit(location).netloc if location else ""
        text += f", a redirect{' to ' + where if where else ''} (not followed)"
    return text
