"""Requests whose body's end a proxy in front could read otherwise than the service (request
smuggling: its check of one body let another through), and the `X-Forwarded-For` lines a
proxy adds below a client's own: sent raw to the service's HTTP server on a loopback port."""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from newsflow.service.http import HealthServer, Request, Response
from newsflow_ingest.guard import ClientAddress, RateLimiter
from newsflow_ingest.intake import Intake

ONE = orjson.dumps({"url": "https://example.com/1", "text": "word " * 20})


class Routed:
    """The route: what each request it was handed had for a body."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, request: Request) -> Response:
        if request.chunked:
            body = request.read_chunked(limit=1_000, reserve=lambda n: True)
        else:
            body = request.read(int(request.headers.get("Content-Length") or 0))
        self.bodies.append(body)
        return 202, {"accepted": 1}, {}


@pytest.fixture
def routed(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Routed]]:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    route = Routed()
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={"/v1/articles": route})
    server.start()
    yield server.port, route
    server.stop()


def exchange(port: int, raw: bytes) -> list[int]:
    """The statuses of every answer to `raw`, read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return [int(line.split()[1]) for line in reply.split(b"\r\n") if line.startswith(b"HTTP/1.")]


SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"


@pytest.mark.parametrize(
    ("head", "status"),
    [
        # A proxy that reads the body by its Content-Length (4: "0\r\n\r") sees a request
        # that the service read otherwise: "0\r\n\r\n" (chunked), and answered 202.
        (b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", 400),
        # The proxy takes the last Content-Length, the service took the first.
        (b"Content-Length: 0\r\nContent-Length: 5\r\n", 400),
        # A coding the service cannot undo, or chunked not alone: its body's end is unknown.
        (b"Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n", 400),
        (b"Transfer-Encoding: gzip, chunked\r\n", 501),
        (b"Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", 501),
    ],
)
def test_a_request_whose_body_end_is_in_doubt_is_refused_and_its_connection_closed(
    routed: tuple[int, Routed], head: bytes, status: int
) -> None:
    port, route = routed
    raw = b"POST /v1/articles HTTP/1.1\r\nHost: a\r\n" + head + b"\r\n0\r\n\r\n" + SMUGGLED
    assert exchange(port, raw) == [status]  # nothing after it is read as a request
    assert route.bodies == []


def test_a_chunked_post_alone_is_taken_and_what_follows_it_dropped(
    routed: tuple[int, Routed],
) -> None:
    """Every connection closes after its answer (HTTP/1.0): what follows a body is dropped."""
    port, route = routed
    post = b"POST /v1/articles HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert exchange(port, post + b"2\r\n{}\r\n0\r\n\r\n" + SMUGGLED) == [202]
    assert route.bodies == [b"{}"]


class Producer:
    def send(self, topic: str, *, key: bytes | None, value: bytes) -> Producer:
        return self

    def get(self, timeout: float) -> None:
        pass

    def flush(self, timeout: float) -> None:
        pass


def test_a_client_behind_a_proxy_that_adds_its_own_line_cannot_choose_its_address(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, metrics: Any
) -> None:
    """HAProxy (`option forwardfor`) adds an `X-Forwarded-For` line below the client's: the
    first line alone was read, the client's own word, and each request the client sent with
    another address there had a rate-limit bucket of its own."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    intake = Intake(
        producer=Producer(),
        topic="articles.raw",
        max_body_bytes=100_000,
        metrics=metrics,
        limiter=RateLimiter(0.001, 1),
        client_address=ClientAddress.from_setting("127.0.0.1"),  # the proxy: this test
    )
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={"/v1/articles": intake})
    server.start()
    try:

        def post(forged: str) -> list[int]:
            head = (
                "POST /v1/articles HTTP/1.1\r\nHost: a\r\n"
                f"X-Forwarded-For: {forged}\r\nX-Forwarded-For: 203.0.113.9\r\n"
                f"Content-Length: {len(ONE)}\r\nConnection: close\r\n\r\n"
            )
            return exchange(server.port, head.encode() + ONE)

        assert post("198.51.100.1") == [202]
        assert post("198.51.100.2") == [429]  # the same client, 203.0.113.9
    finally:
        server.stop()


def test_a_request_head_past_the_header_limit_is_refused(routed: tuple[int, Routed]) -> None:
    """100 header lines of 64 KiB each were taken (http.server's limits), held in memory
    before any token was checked: 64 connections held 410 MB (a security review)."""
    port, route = routed
    lines = b"X-Padding: " + b"a" * 10_000 + b"\r\n"
    head = b"POST /v1/articles HTTP/1.1\r\nHost: a\r\n" + lines * 7 + b"Content-Length: 2\r\n"
    assert exchange(port, head + b"\r\n{}") == [431]
    assert route.bodies == []
    fits = b"POST /v1/articles HTTP/1.1\r\nHost: a\r\n" + lines * 6 + b"Content-Length: 2\r\n"
    assert exchange(port, fits + b"\r\n{}") == [202]
    assert route.bodies == [b"{}"]


def test_clients_that_reset_their_connection_leave_no_traceback_on_stderr(
    routed: tuple[int, Routed], capsys: pytest.CaptureFixture[str]
) -> None:
    """socketserver printed a plain traceback to stderr for each (some 45 lines, outside the
    JSON log): five such clients wrote 235 lines."""
    port, _ = routed
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):  # (the server may close first)
                sock.sendall(b"POST /v1/articles HTTP/1.1\r\n" + b"X-A: " + b"a" * 65_000 * 3)
    time.sleep(1.0)  # the handlers' threads finish
    assert "Traceback" not in capsys.readouterr().err
