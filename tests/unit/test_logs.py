"""Service logs: one JSON object a line, and no library traceback for what is not an error."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator

import orjson
import pytest
from kafka.net import NetworkSelector
from kafka.net.transport import KafkaTCPTransport

from newsflow.logs import configure_logging, kafka_records_of_own_check


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


@pytest.fixture
def transport() -> Iterator[KafkaTCPTransport]:
    """kafka-python's transport over a connected socket, in its own network loop."""
    net = NetworkSelector()
    mine, theirs = socket.socketpair()
    mine.setblocking(False)
    yield KafkaTCPTransport(net, mine)
    for sock in (mine, theirs):
        sock.close()
    net.close()


def test_a_read_after_the_client_closed_the_transport_logs_no_traceback(
    capsys: pytest.CaptureFixture[str], transport: KafkaTCPTransport
) -> None:
    # kafka-python 3.0.12: the client's thread closes the transport (its socket shut and set
    # to None) while the network thread's read task is between "readable" and recv(). The read
    # then logged "Error receiving network data" with an AttributeError traceback at ERROR
    # (seen in CI on a clean SIGTERM). The client closed it on purpose: nothing was lost.
    transport.close()
    results = []
    assert json_logged(capsys, lambda: results.append(transport._sock_recv())) == []
    [(data, error)] = results
    assert (data, type(error).__name__) == (b"", "KafkaConnectionError")


class _ClosedDuringRecv:
    """A socket whose transport the client's thread closes while a read is inside `recv()`."""

    def __init__(self, sock: socket.socket, *, shut_only: bool = False) -> None:
        self.sock = sock
        self.shut_only = shut_only
        self.transport: KafkaTCPTransport | None = None

    def recv(self, size: int) -> bytes:
        assert self.transport is not None
        if self.shut_only:  # the read saw the shutdown, not yet the close: it reads empty
            self.sock.shutdown(socket.SHUT_RDWR)
            received = self.sock.recv(size)
            self.transport.close()
            return received
        self.transport.close()  # shuts and closes the socket under the read
        return self.sock.recv(size)  # OSError: bad file descriptor

    def __getattr__(self, name: str) -> object:
        return getattr(self.sock, name)


@pytest.mark.parametrize("shut_only", [False, True], ids=["closed", "shut"])
def test_a_read_the_client_closed_under_logs_no_error(
    capsys: pytest.CaptureFixture[str], transport: KafkaTCPTransport, shut_only: bool
) -> None:
    sock = _ClosedDuringRecv(transport._sock, shut_only=shut_only)
    transport._sock, sock.transport = sock, transport
    results = []
    assert json_logged(capsys, lambda: results.append(transport._sock_recv())) == []
    [(data, error)] = results
    assert (data, type(error).__name__) == (b"", "KafkaConnectionError")


def test_the_race_shows_at_debug_level_without_a_traceback(
    capsys: pytest.CaptureFixture[str], transport: KafkaTCPTransport
) -> None:
    transport.close()
    entries = json_logged(capsys, transport._sock_recv, level="DEBUG")
    assert [(e["level"], "exc" in e) for e in entries if "Error receiving" in str(e["msg"])] == [
        ("debug", False)
    ]


def test_a_receive_error_on_a_transport_still_open_is_logged_with_its_traceback(
    capsys: pytest.CaptureFixture[str], transport: KafkaTCPTransport
) -> None:
    transport._sock.close()  # closed under the transport, not by the client: a real failure
    [entry] = json_logged(capsys, transport._sock_recv)
    assert entry["level"] == "error"
    assert "Error receiving network data" in str(entry["msg"])
    assert "OSError" in str(entry["exc"])


class _ClosedBetweenSends:
    """A socket whose transport the client's thread closes between two of its `send()`s."""

    def __init__(self) -> None:
        self.transport: KafkaTCPTransport | None = None

    def send(self, chunk: memoryview) -> int:
        assert self.transport is not None
        self.transport._closed, self.transport._sock = True, None  # as close() leaves them
        return 1


def test_a_send_racing_the_clients_close_logs_no_traceback(
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


def test_only_the_checking_thread_s_kafka_records_are_its_own_check_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While a check runs, what kafka-python logs on other threads (the clients' network
    threads) is left as it is."""
    caplog.set_level(logging.INFO)
    connection_log = logging.getLogger("kafka.net.connection")
    with kafka_records_of_own_check():
        connection_log.error("mine")
        elsewhere = threading.Thread(target=connection_log.error, args=("a client's",))
        elsewhere.start()
        elsewhere.join()
    connection_log.error("after")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "a client's"),
        ("ERROR", "after"),
    ]


def test_a_check_inside_a_check_leaves_the_outer_one_s_records_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The inner block's end turned the outer block's off: its later records were ERRORs."""
    caplog.set_level(logging.INFO)
    connection_log = logging.getLogger("kafka.net.connection")
    with kafka_records_of_own_check():
        with kafka_records_of_own_check():
            connection_log.error("inner")
        connection_log.error("outer, after the inner")
    connection_log.error("after")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("ERROR", "after")]
