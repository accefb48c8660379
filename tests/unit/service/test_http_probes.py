"""The ingest service's probes and scrapes while its intake holds every connection it may.

Liveness probes and Prometheus scrapes shared the intake's listener and its 256 connections:
crawlers pushing hard, or slow clients holding their connections, had every probe closed at
once, and Kubernetes (3 failed probes, 10 s apart) restarted a pod that was merely busy.
`NEWSFLOW_METRICS_PORT` serves them on a listener of their own.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsflow.kafka.localbroker import free_port
from newsflow.service.http import MAX_CONNECTIONS
from newsflow.tools.service_process import ServiceProcess


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[tuple[ServiceProcess, int]]:
    """An ingest service with its metrics port; no broker (its HTTP answers before one)."""
    metrics_port = free_port()
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # nothing listens there
        "NEWSFLOW_HTTP_HOST": "127.0.0.1",
        "NEWSFLOW_HTTP_PORT": str(free_port()),
        "NEWSFLOW_METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    service = ServiceProcess("ingest", env, tmp_path / "ingest.log")
    try:
        wait_for_healthz(service)
        yield service, metrics_port
    finally:
        service.stop()


def wait_for_healthz(service: ServiceProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        service.check_alive()
        try:
            if service.get("/healthz", timeout=1)[0] == 200:
                return
        except OSError:
            assert time.monotonic() < deadline, service.log_text()
            time.sleep(0.1)


def hold_every_connection(port: int) -> list[socket.socket]:
    """`MAX_CONNECTIONS` slow clients, each stopped inside its request's head (as crawlers
    would, were they slow or many); a moment apart, as the listen backlog takes 5 at once."""
    held = []
    for _ in range(MAX_CONNECTIONS):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(b"POST /v1/articles HTTP/1.1\r\nContent-Type: application/")
        held.append(connection)
        time.sleep(0.005)
    return held


def refused(port: int) -> bool:
    """Whether a new connection to `port` is closed without an answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            return connection.recv(1024) == b""
        except ConnectionResetError:
            return True


def get(port: int, path: str) -> tuple[int, bytes]:
    """A probe's GET, with the kubelet's patience (`timeoutSeconds: 3`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_probes_and_scrapes_are_answered_while_the_intake_holds_every_connection(
    ingest: tuple[ServiceProcess, int],
) -> None:
    service, metrics_port = ingest
    held = hold_every_connection(service.port)
    try:
        deadline = time.monotonic() + 10
        while not refused(service.port):  # the intake's listener is full
            assert time.monotonic() < deadline, "the intake never filled"
            time.sleep(0.2)
        assert get(metrics_port, "/healthz")[0] == 200
        assert get(metrics_port, "/readyz")[0] == 503  # no broker: alive, not ready
        status, body = get(metrics_port, "/metrics")
        assert status == 200 and b"newsflow_worker_restarts_total" in body
    finally:
        for connection in held:
            connection.close()
