"""A loopback HTTP server that answers as a test says: a status and a body, a redirect, or an
answer trickled out a byte at a time. It stands for a hostile or broken tracker or webhook
receiver (its answers follow MLflow's documented JSON where it plays MLflow)."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None
    """Seconds between the answer's bytes, after its headers (a server that never finishes)."""


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


@dataclass
class Seen:
    method: str
    path: str
    body: bytes
    host: str


class Scripted:
    """``on(prefix, reply)`` answers the requests whose path starts with ``prefix``; a
    function of the request gives a reply that may change from one request to the next."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Callable[[Seen], Reply]] = {}
        self.seen: list[Seen] = []
        self._stop = threading.Event()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, self.rfile.read(length) if length else b"",
                            self.headers.get("Host", ""))
                owner.seen.append(seen)
                route = max((p for p in owner.routes if self.path.startswith(p)), key=len,
                            default=None)
                reply = owner.routes.get(route) if route is not None else Reply(404, b"{}")
                if callable(reply):
                    reply = reply(seen)
                assert isinstance(reply, Reply)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.trickle is None:
                    self.wfile.write(reply.body)
                    return
                for byte in reply.body:
                    if owner._stop.wait(reply.trickle):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return

            do_GET = do_POST = answer  # noqa: N815 - the http.server names

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def on(self, prefix: str, reply: Reply | Callable[[Seen], Reply]) -> None:
        self.routes[prefix] = reply

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def trickling(seconds: float = 1.0) -> Reply:
    """A 200 whose body comes a byte every ``seconds``: it would take hours."""
    return Reply(200, b"{" + b" " * 100_000 + b"}", {"Content-Type": "application/json"},
                 trickle=seconds)


def mlflow_run(run_id: str, name: str = "run", metrics: dict[str, Any] | None = None,
               status: str = "FINISHED", **info: Any) -> dict[str, Any]:
    """A run as MLflow's ``runs/get`` documents it."""
    now = int(time.time() * 1000)
    return {"run": {
        "info": {"run_id": run_id, "run_uuid": run_id, "run_name": name, "status": status,
                 "experiment_id": "1", "start_time": now, **info},
        "data": {"metrics": [{"key": k, "value": v, "timestamp": now, "step": 0}
                             for k, v in (metrics or {}).items()], "tags": []}}}
