"""A small HTTP service with the endpoints a Kubernetes rollout needs.

- ``GET /``: a JSON greeting (``GREETING`` from the environment, set by the stack's ConfigMap);
- ``GET /healthz``: liveness, 200 while the process can serve at all;
- ``GET /readyz``: readiness, 200 once started and 503 from the moment a SIGTERM arrives, so the
  endpoints controller takes the pod out of the Service before it stops (a rolling update then
  drops no request).

It writes nothing to disk, so it runs on a read-only root filesystem as any non-root user.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOG = logging.getLogger("hello")


class State:
    """Whether the service should receive traffic."""

    def __init__(self) -> None:
        self._ready = threading.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def start(self) -> None:
        self._ready.set()

    def drain(self) -> None:
        self._ready.clear()


def make_handler(state: State, greeting: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hello"

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(200, {"status": "ok"})
            elif self.path == "/readyz":
                self._reply(200 if state.ready else 503, {"ready": state.ready})
            elif self.path == "/":
                self._reply(200, {"message": greeting})
            else:
                self._reply(404, {"error": "not found"})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
            LOG.debug("%s %s", self.address_string(), format % args)

    return Handler


def serve(port: int, greeting: str, drain_seconds: float) -> None:
    state = State()
    server = ThreadingHTTPServer(("0.0.0.0", port), make_handler(state, greeting))  # noqa: S104 - a pod listens on all
    stopping = threading.Event()

    def on_sigterm(signum: int, frame: object) -> None:
        # Fail readiness first, keep serving while Kubernetes removes the pod from the Service.
        state.drain()
        LOG.info("SIGTERM: draining for %.0f s", drain_seconds)
        threading.Timer(drain_seconds, server.shutdown).start()
        stopping.set()

    signal.signal(signal.SIGTERM, on_sigterm)
    state.start()
    LOG.info("listening on :%d", port)
    server.serve_forever()
    server.server_close()


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper(), format="%(levelname)s %(message)s")
    serve(
        port=int(os.environ.get("PORT", "8080")),
        greeting=os.environ.get("GREETING", "Hello"),
        drain_seconds=float(os.environ.get("DRAIN_SECONDS", "5")),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
