"""``tkanban serve``'s web server: textual-serve's, locked to the user who started it.

textual-serve runs one board process per browser tab and accepts any WebSocket, so any page
the user visits could drive the board (and, through it, whatever the board can start). Here
every request must come to an allowed ``Host`` (the bound address, ``localhost``,
``--allow-host`` names: no DNS rebinding); a request that says where it comes from
(``Origin``) must come from the page's own origin; the board (the page, ``/ws``,
``/download``) needs the token printed at start-up, which the page keeps as an ``HttpOnly;
SameSite=Strict`` cookie; at most ``max_sessions`` boards run at once. textual-serve's protocol
is kept as it is: only the doors are guarded.

Imported only by ``tkanban serve`` (aiohttp comes with the ``serve`` extra).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Iterable
from html import escape
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server

TOKEN_MIN = 16
"""Characters a token given with ``--token`` must have at least."""
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",  # no page may frame the board and steer clicks into it
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",  # the token must not leave in a Referer
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def check_token(token: str) -> str:
    """A token given by the user: long enough to guess no sooner than a random one."""
    token = token.strip()
    if len(token) < TOKEN_MIN or not token.isprintable() or " " in token:
        raise ValueError(f"a serve token is at least {TOKEN_MIN} printable characters "
                         "without spaces")
    return token


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class GuardedServer(Server):
    """textual-serve's server behind a Host, Origin and token check and a session cap."""

    def __init__(self, command: str, *, host: str, port: int, token: str, title: str,
                 allow_hosts: Iterable[str] = (), max_sessions: int = 8) -> None:
        shown = f"[{host}]" if ":" in host else host
        super().__init__(command, host=host, port=port, title=title,
                         public_url=f"http://{shown}:{port}")
        self.token = token
        self.allowed = {h.lower().strip("[]") for h in (host, "localhost", *allow_hosts)}
        if is_loopback(host):
            self.allowed |= {"127.0.0.1", "::1"}
        self.max_sessions = max_sessions
        self.sessions = 0
        self.cookie = f"tkanban-serve-{port}"  # cookies are per host, not per port

    @property
    def open_url(self) -> str:
        """The URL to open: the token in it, once."""
        return f"{self.public_url}/?token={self.token}"

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    def _has_token(self, request: web.Request) -> bool:
        given = request.cookies.get(self.cookie, "")
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self._refusal(request)
        if refusal is not None:
            response: web.StreamResponse = refusal
        else:
            response = await handler(request)
        if not response.prepared:
            response.headers.update(SECURITY_HEADERS)
        return response

    def _refusal(self, request: web.Request) -> web.Response | None:
        """Why the request gets no answer but a refusal, if it does."""
        host = (request.url.host or "").lower().strip("[]")
        if host not in self.allowed:
            return _refuse(403, f"this server does not answer for the host {host!r}: open the "
                           "URL tkanban serve printed, or start it with --allow-host NAME")
        origin = request.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or parts.netloc.lower() != (
                    request.host or "").lower():
                return _refuse(403, "a page of another site may not open this board")
        if request.path.startswith("/static/"):
            return None  # textual-serve's own scripts and styles: nothing of the board
        if request.path == "/":
            given = request.query.get("token")
            if given is not None:
                if not hmac.compare_digest(given.encode(), self.token.encode()):
                    return _refuse(403, "wrong token: open the URL tkanban serve printed")
                found = web.HTTPSeeOther("/")  # the token leaves the address bar
                found.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict",
                                 path="/")
                found.headers.update(SECURITY_HEADERS)
                raise found
        if not self._has_token(request):
            return _refuse(403, "this board needs its token: open the URL tkanban serve "
                           "printed (it holds ?token=…)")
        if request.path in ("/", "/ws") and self.sessions >= self.max_sessions:
            return _refuse(503, f"{self.sessions} boards are open in browsers already, the "
                           f"most this server allows (--max-sessions {self.max_sessions}): "
                           "close one and reload")
        return None

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        """The page, with its URLs on the host the browser used (a cookie set for
        ``localhost`` is not sent to ``127.0.0.1``)."""
        base = f"{request.scheme}://{request.host}"
        context: dict[str, Any] = {
            "font_size": _font_size(request.query.get("fontsize", "16")),
            "app_websocket_url": f"{'wss' if request.scheme == 'https' else 'ws'}://"
                                 f"{request.host}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo and the URL without the token; the command says
        what to open instead."""


def _font_size(value: str) -> int:
    try:
        return max(6, min(int(value), 48))
    except ValueError:
        return 16


def _refuse(status: int, message: str) -> web.Response:
    page = (f"<!doctype html><meta charset=utf-8><title>tkanban serve</title>"
            f"<p>tkanban serve: {escape(message)}</p>")
    return web.Response(status=status, text=page, content_type="text/html",
                        headers=SECURITY_HEADERS)
