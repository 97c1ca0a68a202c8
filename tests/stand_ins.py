"""Stand-ins for servers that cannot run here (GitLab's API, a token-auth registry), and a
fault injector. Each is a plain HTTP server on 127.0.0.1 that records the requests it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class StandIn:
    url: str
    requests: list[Recorded] = field(default_factory=list)


Reply = tuple[int, dict[str, str], object]


@contextmanager
def stand_in_server(answer: Callable[[Recorded, StandIn], Reply]) -> Iterator[StandIn]:
    """Serve ``answer(request, server) -> (status, headers, json body or None)`` on a free port."""
    server_state: StandIn

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = Recorded(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            server_state.requests.append(recorded)
            status, headers, body = answer(recorded, server_state)
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_HEAD = do_DELETE = do_PUT = do_POST = _handle  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state = StandIn(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
