"""The service's HTTP server on a local port, with routes that stand in for the intake: how a
POST reaches its route, and what a client sees when the route fails or the body stops short."""

from __future__ import annotations

import http.client
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from newsflow.service.http import HealthServer, Request, Response


def echo(request: Request) -> Response:
    length = int(request.headers["Content-Length"])
    return 202, {"got": request.read(length).decode()}, {}


def broken(request: Request) -> Response:
    raise RuntimeError("secret detail of the failure")


@pytest.fixture
def server() -> Iterator[HealthServer]:
    served = HealthServer(
        "127.0.0.1",
        0,
        ready=lambda: (False, {"workers_ready": 0}),
        routes={"/v1/articles": echo, "/broken": broken},
    )
    served.start()
    yield served
    served.stop()


def post(server: HealthServer, path: str, body: bytes = b"{}") -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        connection.close()


def test_a_post_reaches_its_route_whatever_its_query_string(server: HealthServer) -> None:
    assert post(server, "/v1/articles?source=crawler-7", b'{"a": 1}') == (202, {"got": '{"a": 1}'})
    assert post(server, "/v1/other")[0] == 404


def test_a_route_that_fails_answers_500_without_its_detail(server: HealthServer) -> None:
    assert post(server, "/broken") == (500, {"error": "internal error"})


def test_readyz_answers_503_while_the_service_is_not_ready(server: HealthServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/readyz")
    response = connection.getresponse()
    assert (response.status, orjson.loads(response.read())) == (
        503,
        {"ready": False, "workers_ready": 0},
    )
    connection.close()


def test_a_body_that_stops_short_is_read_as_far_as_it_goes() -> None:
    """A client that closes its side after part of the body: the route gets that part at once
    (and answers 400), rather than waiting out the read timeout."""

    class Handler:
        headers = None
        client_address = ("10.0.0.1", 1)
        rfile = io.BufferedReader(io.BytesIO(b'{"url": '))

    assert Request(Handler()).read(100) == b'{"url": '  # type: ignore[arg-type]
