"""Integration fixtures: a real Kafka-protocol broker (Tansu), real services as processes."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsflow.kafka.clients import create_topics, delete_topics
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.tools.service_process import ServiceProcess, stop_all

# Tansu gap: group joins take ≈ max(1 s, session_timeout / 2), so tests shorten the group
# timings (production keeps Kafka's defaults). A long poll interval keeps slow batches safe.
FAST_GROUP = {
    "NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
    "NEWSFLOW_KAFKA_MAX_POLL_INTERVAL_MS": "60000",
    "NEWSFLOW_KAFKA_MAX_POLL_RECORDS": "10",
    "NEWSFLOW_EXTRACT_TIME_LIMIT": "2",
}


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """One broker for the session; yields its bootstrap address."""
    with LocalBroker() as running:
        yield running.bootstrap


@pytest.fixture
def topics(broker: str) -> Iterator[Topics]:
    """Fresh topics (6 partitions each) for one test, deleted afterwards."""
    suffix = uuid.uuid4().hex[:8]
    names = Topics(**{k: f"{v}.{suffix}" for k, v in Topics().__dict__.items()})
    kafka = KafkaSettings(bootstrap=broker)
    create_topics(kafka, names.all(), partitions=6, replication=1)
    yield names
    delete_topics(kafka, names.all())


@pytest.fixture
def redis_prefix(redis_url: str, topics: Topics) -> Iterator[str]:
    """A store key prefix of the test's own in the test Redis; its keys are deleted after the
    test, also when it fails (they carry the store's TTLs, days long)."""
    import redis

    prefix = f"test-{topics.raw}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for keys in _batched(client.scan_iter(prefix + "*", count=1000), 1000):
            client.delete(*keys)
    finally:
        client.close()


def _batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Service(ServiceProcess):
    """A `newsflow ingest|extract` process started the way an operator would start it."""

    def wait_http(self, timeout: float = 30) -> None:
        """Until the HTTP server answers at all (ready or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"{self.name} HTTP not up:\n{self.log_text()}")

    def settled_metric(
        self, name: str, expected: float, timeout: float = 10, **labels: str
    ) -> float:
        """The metric once it shows `expected`, or as it stands at the timeout. Outcomes are
        counted once their batch's offsets are committed, a moment after a consumer of the
        outcome topics can read them."""
        deadline = time.monotonic() + timeout
        while (value := self.metric(name, **labels)) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid), "-f", "spawn_main"],
            capture_output=True,
            text=True,
        ).stdout
        return [int(pid) for pid in out.split()]


@pytest.fixture
def start_service(broker: str, topics: Topics, tmp_path: Path) -> Iterator[Any]:
    """Start services; every one still running at the end is stopped (SIGTERM, then kill)."""
    started: list[Service] = []
    group = f"test-{uuid.uuid4().hex[:8]}"

    def start(name: str, *args: str, cpus: set[int] | None = None, **env_overrides: str) -> Service:
        port = free_port()
        env = {
            **os.environ,
            **FAST_GROUP,
            "NEWSFLOW_KAFKA_BOOTSTRAP": broker,
            "NEWSFLOW_GROUP_ID": f"{group}-{name}",
            "NEWSFLOW_HTTP_HOST": "127.0.0.1",
            "NEWSFLOW_HTTP_PORT": str(port),
            "NEWSFLOW_STORE_URL": str(tmp_path / "store.sqlite"),
            **{f"NEWSFLOW_TOPIC_{key.upper()}": value for key, value in topics.__dict__.items()},
            **env_overrides,
        }
        service = Service(name, env, tmp_path / f"{name}-{len(started)}.log", args, cpus=cpus)
        started.append(service)
        return service

    yield start
    stop_all(started)


# --- fault-suite accounting table, printed at the end of the run ---------------------------


@pytest.fixture
def fault_report(request: pytest.FixtureRequest) -> Any:
    """Add one accounting row (a dict) to the table printed after the tests (it travels with
    the test's report, so the table is whole when the tests run in several processes)."""
    return lambda row: request.node.user_properties.append(("fault_row", row))
