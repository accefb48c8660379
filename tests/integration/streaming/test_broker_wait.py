"""Services started before their broker: they wait for it, hear SIGTERM meanwhile, then work.

Compose and Kubernetes start containers in any order. kafka-python's clients wait for the
broker inside their constructors, deaf to signals: an extract service stopped while its broker
was down took the supervisor's kill (~20 s, exit status 1), and the ingest service's HTTP
endpoints did not answer at all until the broker did.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from kafka_io import collect, outcome_topics
from test_intake import ONE, post

from newsflow.kafka.clients import create_topics
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics

pytestmark = pytest.mark.kafka


def test_a_service_waiting_for_its_broker_stops_at_once_on_sigterm(start_service: Any) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    extract = start_service("extract", NEWSFLOW_KAFKA_BOOTSTRAP=nowhere)
    extract.wait_http()
    assert extract.get("/readyz")[0] == 503
    # Stopped once its worker waits for the broker: a fixed 2 s was, on a loaded machine, still
    # in the worker's start-up, and the stop took 5.4 s (CI, once).
    deadline = time.monotonic() + 60
    while "no bootstrap server reachable" not in extract.log_text(limit=100_000):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    started = time.monotonic()
    assert extract.terminate(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "Traceback" not in (log := extract.log_text(limit=100_000)), log


def test_a_service_whose_broker_takes_connections_but_never_answers_stops_at_once_on_sigterm(
    start_service: Any,
) -> None:
    # The kernel completes the connections (the listen backlog); nothing ever answers them.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        bootstrap = f"127.0.0.1:{silent.getsockname()[1]}"
        extract = start_service("extract", NEWSFLOW_KAFKA_BOOTSTRAP=bootstrap)
        extract.wait_http()
        waited = time.monotonic() + 60
        while "making the Kafka clients" not in extract.log_text(limit=100_000):
            assert time.monotonic() < waited, extract.log_text(limit=100_000)
            time.sleep(0.2)
        time.sleep(1)  # the worker's Kafka clients wait for an answer
        started = time.monotonic()
        assert extract.terminate(timeout=40) == 0
        assert time.monotonic() - started < 5
        log = extract.log_text(limit=100_000)
        assert "Traceback" not in log, log
        assert "worker stopped before it reached the broker" in log, log


def test_services_started_before_their_broker_work_once_it_is_up(
    topics: Topics, start_service: Any
) -> None:
    late = LocalBroker(port=free_port())
    ingest = start_service("ingest", NEWSFLOW_KAFKA_BOOTSTRAP=late.bootstrap)
    extract = start_service("extract", NEWSFLOW_KAFKA_BOOTSTRAP=late.bootstrap)
    ingest.wait_http()
    extract.wait_http()
    assert ingest.get("/healthz")[0] == 200
    assert ingest.get("/readyz")[0] == 503
    status, body = post(ingest.url("/v1/articles"), ONE)
    assert status == 503, body  # refused, so the crawler retries: nothing was taken
    with late:
        create_topics(KafkaSettings(bootstrap=late.bootstrap), topics.all(), partitions=2,
                      replication=1)  # fmt: skip
        ingest.wait_ready()
        extract.wait_ready()
        assert post(ingest.url("/v1/articles"), ONE) == (202, b'{"accepted":1}')
        found = collect(late.bootstrap, list(outcome_topics(topics)), expected=1, timeout=60)
        outcomes = [
            (topic, event["source_id"]) for topic, events in found.items() for event in events
        ]
        assert [source for _, source in outcomes] == ["h1"], (outcomes, extract.log_text())
        assert (ingest.terminate(), extract.terminate()) == (0, 0), extract.log_text()
    for service in (ingest, extract):
        assert "Traceback" not in (log := service.log_text(limit=100_000)), log
