"""Reaching the broker on a thread: `BackgroundProducer` closed while it builds leaves no
producer built after the close; `made_unless_stopped` hears a stop while kafka-python waits."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from kafka.errors import KafkaConnectionError

from newsflow.kafka.connect import BackgroundProducer, made_unless_stopped
from newsflow.kafka.settings import KafkaSettings


@pytest.fixture
def listening() -> Iterator[KafkaSettings]:
    """A port that takes TCP connections, as a broker does (`wait_for_broker` needs no more)."""
    server = socket.create_server(("127.0.0.1", 0))
    yield KafkaSettings(bootstrap=f"127.0.0.1:{server.getsockname()[1]}")
    server.close()


class SlowProducer:
    closed = False

    def close(self, timeout: float | None = None) -> None:
        self.closed = True

    def send(self, *args: Any, **kwargs: Any) -> None:
        pass


def test_a_producer_built_after_close_is_closed_and_never_used(listening: KafkaSettings) -> None:
    building = threading.Event()
    release = threading.Event()
    built: list[SlowProducer] = []

    def build() -> SlowProducer:
        building.set()
        release.wait(5)  # kafka-python's constructor, waiting for the broker's answers
        built.append(SlowProducer())
        return built[-1]

    background = BackgroundProducer(listening, build)
    assert building.wait(5)
    background.close(timeout=1)  # the intake stops while the producer is being built
    release.set()
    background._thread.join(5)
    assert len(built) == 1
    assert built[0].closed  # not left open (its connections, its sender thread)
    assert not background.connected
    with pytest.raises(Exception, match="not connected"):
        background.send("articles.raw", value=b"{}")


def test_clients_made_on_a_thread_come_back_when_made() -> None:
    assert made_unless_stopped(lambda: "clients", threading.Event()) == "clients"


def test_a_stop_while_the_clients_wait_for_the_broker_is_heard_at_once() -> None:
    stop, never = threading.Event(), threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert made_unless_stopped(lambda: never.wait(30), stop) is None
    never.set()


def test_what_making_the_clients_raised_is_raised_to_the_caller() -> None:
    def refuse() -> None:
        raise KafkaConnectionError("no answer")

    with pytest.raises(KafkaConnectionError, match="no answer"):
        made_unless_stopped(refuse, threading.Event())


class RecordingProducer(SlowProducer):
    def __init__(self) -> None:
        self.flushes: list[float | None] = []
        self.closed_with: list[float | None] = []

    def flush(self, timeout: float | None = None) -> None:
        self.flushes.append(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.closed_with.append(timeout)


def test_the_connected_producer_flushes_and_closes_with_the_caller_s_timeouts(
    listening: KafkaSettings,
) -> None:
    """The intake's flush waits `ACK_SECONDS`, no longer, before it answers 503; a closed
    intake closes its producer (its sender thread, its connections)."""
    producer = RecordingProducer()
    background = BackgroundProducer(listening, lambda: producer)
    background._thread.join(5)
    assert background.connected
    background.flush(timeout=10)
    background.close(timeout=1)
    assert (producer.flushes, producer.closed_with) == ([10], [1])
