"""Service logs: one JSON object a line, and no library traceback for what is not an error."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import orjson
import pytest
from kafka.net.transport import KafkaTCPTransport

from newsflow.logs import configure_logging


def json_logged(
    capsys: pytest.CaptureFixture[str], action: Callable[[], object], level: str = "INFO"
) -> list[dict[str, object]]:
    """The JSON lines a service's logging writes while `action` runs."""
    root, kafka = logging.getLogger(), logging.getLogger("kafka")
    transport = logging.getLogger("kafka.net.transport")
    handlers, root_level, kafka_level = root.handlers[:], root.level, kafka.level
    capsys.readouterr()
    configure_logging(json=True, level=level)
    try:
        action()
    finally:  # the loggers as this test process had them
        root.handlers[:], root.level = handlers, root_level
        kafka.setLevel(kafka_level)
        transport.filters.clear()
    return [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_read_racing_kafka_pythons_own_close_logs_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # kafka-python 3.0.12: a transport closed from the client's thread sets its socket to None
    # while the network thread's read task is between "readable" and recv(). The read then
    # logged "Error receiving network data" with an AttributeError traceback at ERROR (seen in
    # CI on a clean SIGTERM). The socket was being closed on purpose: nothing was lost.
    closed = KafkaTCPTransport(net=None, sock=None)
    results = []
    assert json_logged(capsys, lambda: results.append(closed._sock_recv())) == []
    [(data, error)] = results
    assert (data, type(error).__name__) == (b"", "KafkaConnectionError")


def test_the_race_shows_at_debug_level_without_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = KafkaTCPTransport(net=None, sock=None)
    entries = json_logged(capsys, closed._sock_recv, level="DEBUG")
    assert [(e["level"], "exc" in e) for e in entries if "Error receiving" in str(e["msg"])] == [
        ("debug", False)
    ]


def test_a_real_receive_error_is_still_logged_with_its_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    mine, theirs = socket.socketpair()
    theirs.close()
    mine.close()  # recv on a closed socket: OSError, a real failure
    [entry] = json_logged(capsys, KafkaTCPTransport(net=None, sock=mine)._sock_recv)
    assert entry["level"] == "error"
    assert "Error receiving network data" in str(entry["msg"])
    assert "OSError" in str(entry["exc"])


class _ClosedBetweenSends:
    """A socket the client's thread closes while the network thread is sending to it."""

    def __init__(self) -> None:
        self.transport: KafkaTCPTransport | None = None

    def send(self, chunk: memoryview) -> int:
        assert self.transport is not None
        self.transport._sock = None  # what KafkaTCPTransport._close does, from another thread
        return 1


def test_a_send_racing_kafka_pythons_own_close_logs_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sock = _ClosedBetweenSends()
    transport = KafkaTCPTransport(net=None, sock=sock)
    sock.transport = transport
    transport._write_buffer.append(b"two bytes")
    results = []
    assert json_logged(capsys, lambda: results.append(transport._sock_send())) == []
    [(sent, error)] = results
    assert (sent, type(error).__name__) == (1, "KafkaConnectionError")
