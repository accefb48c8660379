"""Service configuration and the two process roles: the supervisor (HTTP, workers) and a worker."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from newsflow.config import Setting, log_level, positive_float, positive_int, tcp_port
from newsflow.errors import CONFIG_ERROR_EXIT, ConfigError
from newsflow.kafka.settings import KAFKA_SETTINGS, TOPIC_SETTINGS, KafkaSettings, Topics
from newsflow.logs import configure_logging

log = logging.getLogger(__name__)


def service_settings(*, group: str, port: int) -> tuple[Setting, ...]:
    """Settings every service has; `group` and `port` differ per service."""
    return (
        *KAFKA_SETTINGS,
        *TOPIC_SETTINGS,
        Setting("group_id", "consumer group id", group),
        Setting(
            "workers", "consumer processes in this container (each a group member)", 1, positive_int
        ),
        Setting("http_host", "address of /metrics, /healthz, /readyz", "0.0.0.0"),
        Setting(
            "http_port",
            "port of /metrics, /healthz, /readyz (0 = any free port)",
            port,
            tcp_port,
        ),
        Setting(
            "ports_file",
            "file the service writes the ports it listens on to (JSON), removed at exit: where "
            "a health check finds a port given as 0 (none: no file)",
        ),
        Setting(
            "max_attempts",
            "tries of a message that raises before it is dead-lettered",
            3,
            positive_int,
        ),
        Setting(
            "shutdown_timeout",
            "seconds a worker may take to stop before it is killed",
            30.0,
            positive_float,
        ),
        Setting("log_level", "DEBUG, INFO, WARNING or ERROR", "INFO", log_level),
    )


@dataclass(frozen=True)
class ServiceConfig:
    """One service's whole configuration, built once at start-up and handed to workers."""

    service: str
    input_topic: str
    kafka: KafkaSettings
    topics: Topics
    group_id: str
    workers: int
    http_host: str
    http_port: int
    ports_file: str | None
    max_attempts: int
    shutdown_timeout: float
    log_level: str
    values: dict[str, Any]

    @classmethod
    def build(cls, service: str, input_topic_field: str, values: dict[str, Any]) -> ServiceConfig:
        return cls(
            service=service,
            input_topic=values[input_topic_field],
            kafka=KafkaSettings.from_values(values),
            topics=Topics.from_values(values),
            group_id=values["group_id"],
            workers=values["workers"],
            http_host=values["http_host"],
            http_port=values["http_port"],
            ports_file=values["ports_file"],
            max_attempts=values["max_attempts"],
            shutdown_timeout=values["shutdown_timeout"],
            log_level=values["log_level"],
            values=values,
        )


Builder = Callable[[ServiceConfig, Any], Any]  # (config, metrics) -> Processor


def run_worker(build: Builder, config: ServiceConfig, index: int, ready_flag: Any) -> None:
    """A worker process: one group member running the consume loop until SIGTERM."""
    configure_logging(json=True, level=config.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    _stop_when_orphaned(stop)

    from kafka.errors import KafkaError

    from newsflow.kafka.clients import (
        check_topics,
        make_consumer,
        make_groupless_consumer,
        make_producer,
    )
    from newsflow.kafka.connect import BROKER_SILENT, made_unless_stopped, wait_for_broker
    from newsflow.kafka.security import check_at_broker
    from newsflow.service.loop import ConsumeLoop, WorkerStatus
    from newsflow.service.metrics import Metrics

    metrics = Metrics(config.service)
    try:
        processor = build(config, metrics)
    except ConfigError as exc:  # restarting would not help: the supervisor stops the service
        log.error("configuration error, the worker cannot start: %s", exc, extra={"worker": index})
        sys.exit(CONFIG_ERROR_EXIT)
    client_id = f"{config.kafka.client_id}-{config.service}-{index}"

    def set_ready(value: bool) -> None:
        ready_flag.value = 1 if value else 0

    def clients() -> tuple[Any, Any]:
        check_at_broker(config.kafka.servers, config.kafka.security)
        check_topics(config.kafka, config.topics.used_by(config.service))
        consumer = make_consumer(config.kafka, group_id=config.group_id, client_id=client_id)
        return consumer, make_producer(config.kafka, client_id=client_id)

    try:
        made = None
        try:
            if wait_for_broker(config.kafka, stop):
                log.info("broker reachable; making the Kafka clients", extra={"worker": index})
                made = made_unless_stopped(clients, stop)
        except KafkaError as exc:  # it takes connections, but no client could be made
            log.error(BROKER_SILENT, exc, extra={"worker": index})
            sys.exit(1)  # restarted by the supervisor
        except ConfigError as exc:  # a topic missing or misnamed, a broker certificate that
            # does not verify, SASL credentials refused
            log.error(
                "configuration error, the worker cannot start: %s", exc, extra={"worker": index}
            )
            sys.exit(CONFIG_ERROR_EXIT)
        if made is None:
            log.info("worker stopped before it reached the broker", extra={"worker": index})
            return
        consumer, producer = made
        try:
            ConsumeLoop(
                consumer=consumer,
                producer=producer,
                processor=processor,
                topic=config.input_topic,
                metrics=metrics,
                stop=stop,
                status=WorkerStatus(set_ready=set_ready),
                max_attempts=config.max_attempts,
                offsets_client=lambda: make_groupless_consumer(
                    config.kafka, client_id=f"{client_id}-lag"
                ),
            ).run()
        except ConfigError as exc:  # e.g. Redis credentials revoked: nothing committed, none dead
            log.error("configuration error, the worker stops: %s", exc, extra={"worker": index})
            sys.exit(CONFIG_ERROR_EXIT)
        finally:
            producer.close(timeout=10)
    finally:
        processor.close()
    log.info("worker stopped cleanly", extra={"worker": index})


def _stop_when_orphaned(stop: threading.Event) -> None:
    """A worker whose supervisor was killed (-9) stops too, instead of running unsupervised."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.wait(1.0):
            if os.getppid() != parent:
                log.error("supervisor is gone; stopping")
                stop.set()

    threading.Thread(target=watch, daemon=True, name="orphan-watch").start()


def run_service(
    config: ServiceConfig,
    build: Builder,
    *,
    routes: Callable[[Any], dict[str, Any]] | None = None,
    on_start: Callable[[int], None] | None = None,
    metrics_port: int | None = None,
) -> int:
    """The supervisor: metrics directory, HTTP endpoints, N supervised workers.

    With `metrics_port`, /metrics, /healthz and /readyz are also served on a listener of their
    own, without the routes: connections to the routes (the intake's crawlers, slow clients)
    fill only their own listener's slots, never the probes' and scrapes'."""
    from newsflow.service.metrics import cleanup_multiprocess, enable_multiprocess

    configure_logging(json=True, level=config.log_level)
    directory = enable_multiprocess()
    from newsflow.service.http import HealthServer
    from newsflow.service.metrics import Metrics
    from newsflow.service.supervisor import Supervisor

    metrics = Metrics(config.service)
    metrics.worker_restarts.labels(config.service)  # exported as 0 from the start
    target = functools.partial(run_worker, build, config)
    supervisor = Supervisor(
        target, workers=config.workers, metrics=metrics, shutdown_timeout=config.shutdown_timeout
    )
    servers: list[HealthServer] = []
    try:
        server = HealthServer(
            config.http_host,
            config.http_port,
            ready=supervisor.ready,
            routes=routes(metrics) if routes else None,
        )
        servers.append(server)
        probes = None
        if metrics_port is not None:
            probes = HealthServer(
                config.http_host,
                metrics_port,
                ready=supervisor.ready,
                setting="NEWSFLOW_METRICS_PORT",
            )
            servers.append(probes)
        ports = {"http_port": server.port, "metrics_port": probes.port if probes else None}
        if config.ports_file:
            write_ports(config.ports_file, ports)
    except ConfigError:  # a port taken, the host no address here, the ports file unwritable
        for made in servers:
            made.close()
        cleanup_multiprocess(directory)
        raise
    for made in servers:
        made.start()
    log.info(
        "service started",
        extra={
            "service": config.service,
            **ports,
            "workers": config.workers,
            "group": config.group_id,
            "input": config.input_topic,
        },
    )
    if on_start:
        on_start(server.port)
    try:
        return supervisor.run()
    finally:
        for made in servers:
            made.stop()
        if config.ports_file:
            with contextlib.suppress(OSError):
                os.remove(config.ports_file)
        cleanup_multiprocess(directory)


def write_ports(path: str, ports: dict[str, int | None]) -> None:
    """The ports the service listens on, as JSON, into the file at `path`: whole or not at all
    (a health check reading it meanwhile finds the file before or none). `ConfigError` when it
    cannot be written."""
    part = f"{path}.part"
    try:
        with open(part, "w") as stream:
            json.dump(ports, stream)
        os.replace(part, path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # written but not renamed: not left beside it
            os.remove(part)
        raise ConfigError(
            f"NEWSFLOW_PORTS_FILE: cannot write {path}: {exc.strerror or exc}"
        ) from exc


def all_settings(*groups: Iterable[Setting]) -> tuple[Setting, ...]:
    """Concatenate setting groups, keeping the first of any repeated field."""
    seen: dict[str, Setting] = {}
    for group in groups:
        for setting in group:
            seen.setdefault(setting.field, setting)
    return tuple(seen.values())
