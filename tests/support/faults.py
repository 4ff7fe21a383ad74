"""A scripted HTTP server on 127.0.0.1 that misbehaves like WDQS does, for client tests.

Each test gives a list of ``Reply`` objects; the server answers request n with reply n (the last
one repeats) and records every request (method, path, headers, decoded form body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    content_type: str = "application/sparql-results+json"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]

    @property
    def query(self) -> str:
        return self.form.get("query", [""])[0]


def results(vars_: list[str], rows: list[dict[str, dict]]) -> str:
    """A SPARQL JSON results body."""
    return json.dumps({"head": {"vars": vars_}, "results": {"bindings": rows}})


def uri(value: str) -> dict:
    return {"type": "uri", "value": value}


class FaultServer:
    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies: list[Reply] = list(replies or [Reply(body=results([], []))])
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self, form: dict[str, list[str]]) -> None:
                with server._lock:
                    idx = len(server.seen)
                    server.seen.append(Seen(self.command, self.path, dict(self.headers.items()), form))
                    reply = server.replies[min(idx, len(server.replies) - 1)]
                if callable(reply):
                    reply = reply(server.seen[-1])
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n).decode()
                self._answer(parse_qs(raw))

            def do_GET(self) -> None:  # noqa: N802
                q = self.path.split("?", 1)[1] if "?" in self.path else ""
                self._answer(parse_qs(q))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # join the handler threads on close, so that every request is recorded before the test
        # looks (a slow machine may not have run a handler yet when the client gave up)
        self.httpd.daemon_threads = False
        self.httpd.block_on_close = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def fault_server(replies: list[Reply]) -> Iterator[FaultServer]:
    srv = FaultServer(replies).start()
    try:
        yield srv
    finally:
        srv.stop()
