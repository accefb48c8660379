"""Reach the broker without blocking: a worker or the intake waits for it, and hears SIGTERM.

kafka-python's clients wait for the broker inside their constructors (30 s, deaf to signals)
and then raise: a service started while its broker is down, or not yet resolvable, stopped
only when killed, and each worker restarted with a traceback every half minute.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from kafka.cluster import collect_hosts
from kafka.errors import KafkaConnectionError, KafkaError

from newsflow.errors import ConfigError
from newsflow.kafka.security import check_at_broker, check_broker_certificate, tls_context
from newsflow.kafka.settings import KafkaSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
BROKER_SILENT = (
    "the broker takes connections but no Kafka client could be made: %s (a TLS or SASL "
    "setting that does not match the listener, a wrong password, or no Kafka on that port: "
    "kafka-python's errors above say which)"
)


def wait_for_broker(
    settings: KafkaSettings,
    stop: threading.Event,
    *,
    attempt_timeout: float = 1.0,
    interval: float = 1.0,
    report_every: float = 30.0,
) -> bool:
    """Wait until a bootstrap server accepts a connection; False if `stop` was set first.

    kafka-python's clients wait for the broker inside their constructors (30 s, deaf to
    SIGTERM) and then raise, so a worker started while the broker is down or not yet resolvable
    would stop only when killed, and restart with a traceback each time. This wait is plain
    TCP connects, stopped by `stop` within `interval`; SASL comes after (`check_at_broker`,
    then the clients). With TLS, the first connection's handshake checks the broker's
    certificate, and its first request whether the broker takes the client's: one that does
    not verify, or is refused, raises `ConfigError` (kafka-python retried both as an outage,
    for ever).
    """
    context = tls_context(settings.security)
    hosts = collect_hosts(settings.servers, randomize=False)
    started = time.monotonic()
    reported = None
    problem = "no bootstrap server given"
    while not stop.is_set():
        for host, port, _family in hosts:
            try:
                sock = socket.create_connection((host, port), timeout=attempt_timeout)
            except OSError as exc:  # refused, unreachable, a name not resolvable (yet)
                problem = f"{host}:{port}: {exc}"
            else:
                with sock:
                    if context is not None:
                        check_broker_certificate(sock, host, port, context, settings.security)
                if reported is not None:
                    log.info("broker reachable", extra={"waited_s": time.monotonic() - started})
                return True
        if reported is None or time.monotonic() - reported >= report_every:
            log.warning("no bootstrap server reachable; waiting", extra={"last": problem})
            reported = time.monotonic()
        stop.wait(interval)
    return False


def made_unless_stopped(
    make: Callable[[], T], stop: threading.Event, poll: float = 0.1
) -> T | None:
    """`make()`, run on a thread; None when `stop` is set first. Its exception is raised here.

    Once the broker takes connections, kafka-python's constructors and metadata requests still
    wait up to 30 s for one that does not answer (a listener that is not Kafka's, a broker
    still starting, TLS expected), deaf to SIGTERM: the caller hears `stop` within `poll`
    meanwhile, and leaves what the thread makes to the process's exit.
    """
    made: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            made.append(make())
        except BaseException as exc:  # raised in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True, name="kafka-connect")
    thread.start()
    while thread.is_alive():
        if stop.wait(poll):
            return None
        thread.join(poll)
    if failed:
        raise failed[0]
    return made[0]


class BackgroundProducer:
    """A producer built on a thread once the broker takes connections, so the HTTP intake
    starts at once; until then `send` raises a retriable KafkaConnectionError (a 503)."""

    def __init__(
        self, settings: KafkaSettings, build: Callable[[], Any], *, retry_delay: float = 3.0
    ) -> None:
        self._settings = settings
        self._build = build
        self._retry_delay = retry_delay
        self._producer: Any = None
        self._closed = threading.Event()
        self._lock = threading.Lock()  # a producer built as `close` runs is closed, not kept
        self._thread = threading.Thread(target=self._connect, daemon=True, name="intake-connect")
        self._thread.start()

    def _connect(self) -> None:
        try:
            self._connect_until_made()
        except ConfigError as exc:  # the service's workers stop on it too, and the service
            log.error("configuration error, the intake cannot reach the broker: %s", exc)

    def _connect_until_made(self) -> None:
        while wait_for_broker(self._settings, self._closed):
            try:
                check_at_broker(self._settings.servers, self._settings.security)
                producer = self._build()
            except KafkaError as exc:  # takes connections, but no client could be made, or
                # the credentials got no answer in time
                log.error(BROKER_SILENT, exc)
                self._closed.wait(self._retry_delay)
                continue
            with self._lock:
                if not self._closed.is_set():
                    self._producer = producer
                    return
            producer.close(timeout=0)  # closed while it was being built
            return

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def _connected_producer(self) -> Any:
        producer = self._producer
        if producer is None:
            raise KafkaConnectionError("not connected to the broker yet")
        return producer

    def send(self, *args: Any, **kwargs: Any) -> Any:
        return self._connected_producer().send(*args, **kwargs)

    def flush(self, timeout: float | None = None) -> None:
        self._connected_producer().flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        with self._lock:
            self._closed.set()
            producer, self._producer = self._producer, None
        if producer is not None:
            producer.close(timeout=timeout)
