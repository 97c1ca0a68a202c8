"""The service's endpoints, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from hello.server import State, make_handler


@pytest.fixture
def service() -> Iterator[tuple[str, State]]:
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, "Hello from a test"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the tests' own http:// URLs
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_root_greets_with_the_configured_greeting(service: tuple[str, State]) -> None:
    url, _ = service
    assert get(url + "/") == (200, {"message": "Hello from a test"})


def test_liveness_is_ok_whether_or_not_ready(service: tuple[str, State]) -> None:
    url, state = service
    assert get(url + "/healthz")[0] == 200
    state.start()
    assert get(url + "/healthz")[0] == 200


def test_readiness_follows_start_and_drain(service: tuple[str, State]) -> None:
    url, state = service
    assert get(url + "/readyz") == (503, {"ready": False})
    state.start()
    assert get(url + "/readyz") == (200, {"ready": True})
    state.drain()
    assert get(url + "/readyz") == (503, {"ready": False})


def test_unknown_paths_are_404(service: tuple[str, State]) -> None:
    url, _ = service
    assert get(url + "/nope")[0] == 404
