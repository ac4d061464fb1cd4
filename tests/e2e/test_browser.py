"""What a browser shows (Debian's Chromium, driven by Playwright): the board served by
``tkanban serve`` and who may drive it, and the HTML retro."""

from __future__ import annotations

import http.server
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.browser import browser_page
from tests.helpers.cli import run_cli, tkanban_exe
from tests.helpers.clock import StepClock
from tkanban.core.board.reads import get_card
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def status_of(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def page_wait_for(page: Any, test: Any, seconds: float = 20) -> bool:
    for _ in range(int(seconds * 10)):
        if test():
            return True
        page.wait_for_timeout(100)
    return bool(test())


@contextmanager
def served(db: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[
        tuple[int, subprocess.Popen[str]]]:
    """``tkanban serve`` on a free port with the known token, until the block ends."""
    import os

    port = free_port()
    proc = subprocess.Popen([*tkanban_exe(), "--db", str(db), "--user", "ann", "serve",
                             "--port", str(port), "--token", TOKEN, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.1)
        yield port, proc
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


EVIL_PAGE = """<!doctype html><title>pending</title><script>
const ws = new WebSocket("ws://127.0.0.1:PORT/ws?width=80&height=24");
ws.onopen = () => { document.title = "open"; ws.send(JSON.stringify(["stdin", "L"])); };
ws.onmessage = () => { document.title = "message"; };
ws.onerror = () => { if (document.title === "pending") document.title = "refused"; };
ws.onclose = () => { if (document.title === "pending") document.title = "refused"; };
</script>"""


def watch_frames(page: Any) -> list[str]:
    """What the board sends the page to draw, as it arrives."""
    received: list[str] = []

    def on_socket(ws: Any) -> None:
        ws.on("framereceived", lambda frame: received.append(
            frame if isinstance(frame, str) else frame.decode("utf-8", "replace")))

    page.on("websocket", on_socket)
    return received


@contextmanager
def evil_site(port: int) -> Iterator[str]:
    """Another web page on this machine (another port: another origin, the same site)."""
    body = EVIL_PAGE.replace("PORT", str(port)).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_html_report_in_a_real_browser(history_board: Store,  # noqa: F811
                                           clock: StepClock, tmp_path: Path) -> None:
    from tests.helpers.browser import browser_page
    from tkanban.core.board.reads import history, phase_refs
    from tkanban.core.retro.figures import compute
    from tkanban.core.retro.html import retro_html

    ops_title = "<script>alert(1)</script> & [b]x[/b]"
    from tkanban.core.board import cards as ops

    ops.edit_card(history_board, 2, author="ann", title=ops_title)
    cards, lanes = history(history_board, "main")
    retro = compute(cards, lanes, phase_refs(history_board, "main"), 2026, 11, clock.now)
    data = retro.to_json()
    page_file = tmp_path / "retro.html"
    page_file.write_text(retro_html(retro, "main"))
    requests: list[str] = []
    with browser_page() as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")

        def count(selector: str) -> int:
            return int(page.eval_on_selector_all(selector, "nodes => nodes.length"))

        assert count("section.chart svg") == 5
        assert count('g[id^="bar-throughput-"]') == len(data["throughput_per_week"])
        assert count('g[id^="point-cycle-"]') == 3 == len(data["closed"])
        assert count('g[id^="rule-cycle-"]') == 2  # median and 85th percentile
        assert count('g[id^="bar-lanes-"]') == len(data["lane_time_seconds"]) == 6
        assert count('g[id^="bar-outcomes-"]') == 6 * 3
        assert count('g[id^="bar-cfd-"]') == len(data["cumulative_flow"]["days"]) * 6
        assert count("script") == 0
        text = page.inner_text("body")
        assert ops_title in text  # shown as text, never run or parsed
    assert requests == [page_file.as_uri()]  # nothing left the page


def test_the_token_url_gets_the_board_and_another_origin_does_not(db_path: Path) -> None:
    run_cli("add", "Serve me", db=db_path, user="ann")
    with served(db_path) as (port, proc), browser_page(1200, 800) as page:
        received = watch_frames(page)
        page.goto(f"http://127.0.0.1:{port}/?token={TOKEN}")
        assert page.url == f"http://127.0.0.1:{port}/"  # the token left the address bar
        assert page_wait_for(page, lambda: "Serve me" in "".join(received))
        drawn = "".join(received)
        assert "To do" in drawn and "Test hypothesis" in drawn
        page.mouse.click(600, 400)  # the terminal takes the keys
        page.keyboard.press("Shift+ArrowRight")
        store = open_store(db_path)
        try:
            assert page_wait_for(page, lambda: get_card(store, 1).card.lane_slug ==
                            "test-hypothesis", 10)
        finally:
            store.close()
        # the same browser, holding the cookie, opens a page of another origin
        with evil_site(port) as evil:
            other = page.context.new_page()
            other.goto(evil)
            assert page_wait_for(other, lambda: other.title() != "pending", 10)
            assert other.title() == "refused"
        store = open_store(db_path)
        try:
            assert get_card(store, 1).card.lane_slug == "test-hypothesis"  # not moved on
        finally:
            store.close()
        # a browser without the token gets a refusal, not the board
        fresh = page.context.browser.new_context().new_page()
        answer = fresh.goto(f"http://127.0.0.1:{port}/")
        assert answer.status == 403 and "needs its token" in fresh.content()


def test_wrong_host_origin_or_token_are_refused(db_path: Path) -> None:
    run_cli("add", "x", db=db_path, user="ann")
    with served(db_path) as (port, _proc):
        base = f"http://127.0.0.1:{port}"
        cookie = {"Cookie": f"tkanban-serve-{port}={TOKEN}"}
        assert status_of(f"{base}/")[0] == 403
        assert status_of(f"{base}/?token=wrong-token-wrong-token")[0] == 403
        status, body = status_of(f"{base}/?token={TOKEN}", {"Host": f"evil.example:{port}"})
        assert status == 403 and "evil.example" in body  # DNS rebinding
        assert status_of(f"{base}/?token={TOKEN}")[0] == 303
        assert status_of(f"{base}/", cookie)[0] == 200
        assert status_of(f"{base}/", {**cookie, "Host": f"localhost:{port}"})[0] == 200
        assert status_of(f"{base}/", {**cookie, "Origin": "http://127.0.0.1:1"})[0] == 403
        assert status_of(f"{base}/", {**cookie, "Origin": "null"})[0] == 403
        assert status_of(f"{base}/ws")[0] == 403
        assert status_of(f"{base}/download/abc")[0] == 403
        assert status_of(f"{base}/download/abc", cookie)[0] == 404  # past the door: no such
        page = status_of(f"{base}/", cookie)[1]
        assert f"ws://127.0.0.1:{port}/ws" in page
        localhost = status_of(f"{base}/", {**cookie, "Host": f"localhost:{port}"})[1]
        assert f"ws://localhost:{port}/ws" in localhost  # where the cookie is sent
    with served(db_path, "--allow-host", "board.lab") as (port, _proc):
        cookie = {"Cookie": f"tkanban-serve-{port}={TOKEN}"}
        assert status_of(f"http://127.0.0.1:{port}/",
                         {**cookie, "Host": f"board.lab:{port}"})[0] == 200


def test_a_ninth_session_is_refused_with_a_message(db_path: Path) -> None:
    import asyncio

    import aiohttp

    run_cli("add", "x", db=db_path, user="ann")

    async def sessions(port: int) -> tuple[int, str, int]:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(f"http://127.0.0.1:{port}/?token={TOKEN}") as first:
                assert first.status == 200
            sockets = []
            for _ in range(8):
                ws = await http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=80&height=24")
                sockets.append(ws)
            async with http.get(f"http://127.0.0.1:{port}/") as ninth:
                page = (ninth.status, await ninth.text())
            try:
                await http.ws_connect(f"ws://127.0.0.1:{port}/ws")
                refused = 101
            except aiohttp.WSServerHandshakeError as exc:
                refused = exc.status
            for ws in sockets:
                await ws.close()
            for _ in range(200):  # a closed tab frees its place once its board has ended
                async with http.get(f"http://127.0.0.1:{port}/") as again:
                    if again.status == 200:
                        break
                await asyncio.sleep(0.1)
            assert again.status == 200
            return page[0], page[1], refused

    with served(db_path) as (port, _proc):
        status, text, refused = asyncio.run(sessions(port))
    assert status == 503 and "8 boards are open in browsers already" in text
    assert "--max-sessions 8" in text
    assert refused == 503


def test_a_served_board_starts_no_editor(db_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "editor-ran"
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\ntouch {marker}\n")
    editor.chmod(0o755)
    run_cli("add", "x", db=db_path, user="ann")
    env = {"EDITOR": str(editor), "VISUAL": str(editor)}
    with served(db_path, env=env) as (port, _proc), browser_page(1200, 800) as page:
        received = watch_frames(page)
        page.goto(f"http://127.0.0.1:{port}/?token={TOKEN}")
        assert page_wait_for(page, lambda: "Test hypothesis" in "".join(received))
        page.mouse.click(600, 400)
        page.keyboard.press("n")
        assert page_wait_for(page, lambda: "Description" in "".join(received), 10)
        page.keyboard.press("Control+e")
        assert page_wait_for(page, lambda: "no editor in a board served" in "".join(received), 10)
        page.wait_for_timeout(500)
    assert not marker.exists()


def test_serve_refuses_a_short_token_and_warns_beyond_loopback(db_path: Path) -> None:
    run_cli("add", "x", db=db_path, user="ann")
    short = run_cli("serve", "--token", "abc", db=db_path)
    assert short.returncode == 1 and "at least 16" in short.stderr
    assert "Traceback" not in short.stderr
    helped = run_cli("serve", "--help")
    assert "--max-sessions" in helped.stdout and "--allow-host" in helped.stdout


@pytest.mark.parametrize("where", ["0.0.0.0"])
def test_serving_beyond_this_machine_says_so(db_path: Path, where: str) -> None:
    run_cli("add", "x", db=db_path, user="ann")
    port = free_port()
    proc = subprocess.Popen([*tkanban_exe(), "--db", str(db_path), "serve", "--host", where,
                             "--port", str(port)], stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        deadline = time.monotonic() + 30
        while "open http" not in line and time.monotonic() < deadline:
            line += proc.stderr.readline() if proc.stderr else ""
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert "beyond this machine" in line and "?token=" in line
