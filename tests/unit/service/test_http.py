"""The services' HTTP endpoints on a loopback port: every answer is JSON, HEAD and a wrong
method get what HTTP says."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from newsflow.service.http import HealthServer, Request, Response


def accept(request: Request) -> Response:
    return 202, {"accepted": 0}, {}


@pytest.fixture
def port(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={"/v1/articles": accept})
    server.start()
    yield server.port
    server.stop()


def ask(port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("PUT", "/v1/articles", 501, None),  # no handler in http.server: it sent an HTML page
        ("DELETE", "/healthz", 501, None),
        ("GET", "/v1/articles", 405, "POST"),  # was 404, as if there were no intake
        ("POST", "/readyz", 405, "GET, HEAD"),
    ],
)
def test_a_method_the_path_does_not_take_is_answered_in_json(
    port: int, method: str, path: str, status: int, allow: str | None
) -> None:
    answered, headers, body = ask(port, method, path)
    assert answered == status
    assert headers["Content-Type"] == "application/json"
    assert "error" in orjson.loads(body)
    assert headers.get("Allow") == allow


def test_a_request_http_server_cannot_parse_is_answered_in_json(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /v1/articles HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 431")
    assert b"Content-Type: application/json" in head
    assert orjson.loads(body) == {"error": "Line too long"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_head_answers_as_get_without_a_body(port: int, path: str) -> None:
    """A load balancer's or uptime checker's HEAD got 501 Unsupported method."""
    status, headers, body = ask(port, "HEAD", path)
    assert (status, body) == (200, b"")
    assert "Content-Length" in headers  # what a GET would carry


def test_a_scrape_with_parameters_gets_the_metrics(port: int) -> None:
    """`params:` in a scrape configuration add a query string: /metrics?… was a 404."""
    status, headers, _ = ask(port, "GET", "/metrics?format=prometheus")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert ask(port, "GET", "/healthz?probe=1")[0] == 200
