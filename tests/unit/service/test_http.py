"""The services' HTTP endpoints on a loopback port: every answer is JSON, HEAD and a wrong
method get what HTTP says."""

from __future__ import annotations

import http.client
import io
import socket
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from newsflow.service import http as http_module
from newsflow.service.http import (
    BodyTooLarge,
    HealthServer,
    Refused,
    Request,
    Response,
    read_chunked,
)


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


def closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes `connection` within `seconds` (it sends nothing more)."""
    connection.settimeout(seconds)
    try:
        return connection.recv(1024) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_a_request_head_trickled_in_is_cut_off_at_its_deadline(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte every second kept the read timeout from ever firing: the thread was held for ever
    (a byte every 29 s against the 30 s timeout)."""
    monkeypatch.setattr(http_module, "HEAD_SECONDS", 1.0)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={})
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            started = time.monotonic()
            for _ in range(3):
                slow.sendall(b"X")  # a header that never ends
                time.sleep(0.5)
            assert closed_within(slow, 3.0)
            assert time.monotonic() - started < 4.0
        assert ask(server.port, "GET", "/healthz")[0] == 200  # a prompt request is served
    finally:
        server.stop()


def test_connections_past_the_limit_are_closed_and_the_others_served(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_module, "MAX_CONNECTIONS", 2)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    server = HealthServer("127.0.0.1", 0, ready=lambda: (True, {}), routes={})
    server.start()
    try:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
        time.sleep(0.2)  # both taken by their threads
        with socket.create_connection(("127.0.0.1", server.port)) as third:
            assert closed_within(third, 3.0)
        idle.pop().close()
        time.sleep(0.2)  # its thread ends and gives its slot back
        assert ask(server.port, "GET", "/healthz")[0] == 200
        idle.pop().close()
    finally:
        server.stop()


def test_a_burst_of_connections_is_answered_without_waiting_for_the_clients_to_retry(
    port: int,
) -> None:
    """socketserver's listen backlog was 5: the rest of a burst (crawlers starting together,
    a probe among them) waited for their SYN to be sent again, 1 s later."""
    burst = []
    started = time.monotonic()
    for _ in range(32):
        connection = socket.socket()
        connection.setblocking(False)
        connection.connect_ex(("127.0.0.1", port))  # all at once: none waits for its answer
        burst.append(connection)
    try:
        for connection in burst:
            connection.settimeout(5)
            connection.sendall(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
            assert connection.recv(1024).startswith(b"HTTP/1.0 200")
        assert time.monotonic() - started < 0.9  # a SYN is sent again after 1 s
    finally:
        for connection in burst:
            connection.close()


def chunked(*pieces: bytes, ending: bytes = b"0\r\n\r\n") -> io.BytesIO:
    return io.BytesIO(b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + ending)


def test_a_chunked_body_is_read_whole_its_framing_undone() -> None:
    reserved: list[int] = []

    def reserve(size: int) -> bool:
        reserved.append(size)
        return True

    body = chunked(b'{"url": ', b'"https://example.com/a"}')
    assert read_chunked(body, limit=100, reserve=reserve) == (b'{"url": "https://example.com/a"}')
    assert sum(reserved) == 32  # room asked for every byte before it was read


def test_chunk_extensions_and_trailers_are_read_past() -> None:
    body = io.BytesIO(b"5;name=value\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n")
    assert read_chunked(body, limit=100, reserve=lambda n: True) == b"hello"


def test_a_chunked_body_past_the_limit_is_refused_before_its_chunk_is_read() -> None:
    body = chunked(b"a" * 60, b"b" * 60)
    with pytest.raises(BodyTooLarge, match="more than 100 bytes"):
        read_chunked(body, limit=100, reserve=lambda n: True)
    assert body.tell() < 120  # the second chunk was not read


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"zz\r\nhello\r\n0\r\n\r\n", "not hexadecimal"),
        (b"5\r\nhel", "ended inside a chunk"),
        (b"3\r\nhello\r\n0\r\n\r\n", "does not end where its size says"),
        (b"", "size line"),
    ],
)
def test_framing_that_is_not_chunked_is_named(raw: bytes, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        read_chunked(io.BytesIO(raw), limit=100, reserve=lambda n: True)


def test_no_room_for_the_next_piece_stops_the_read() -> None:
    with pytest.raises(Refused):
        read_chunked(chunked(b"hello"), limit=100, reserve=lambda n: False)
