"""Integration fixtures: a real Kafka-protocol broker (Tansu), real services as processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from newsflow.kafka.clients import create_topics, delete_topics
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics

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


@dataclass
class Service:
    """A `newsflow ingest|extract` process started the way an operator would start it."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    env: dict[str, str] = field(repr=False)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def wait_http(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"{self.name} HTTP not up:\n{self.log_text()}")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} not ready:\n{self.log_text()}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise AssertionError(
                f"{self.name} exited {self.process.returncode}:\n{self.log_text()}"
            )

    def metric(self, name: str, **labels: str) -> float:
        """Sum of a metric's samples whose labels include `labels`."""
        _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid), "-f", "spawn_main"],
            capture_output=True,
            text=True,
        ).stdout
        return [int(pid) for pid in out.split()]

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def start_service(broker: str, topics: Topics, tmp_path: Path) -> Iterator[Any]:
    """Start services; every one still running at the end is stopped (SIGTERM, then kill)."""
    started: list[Service] = []
    group = f"test-{uuid.uuid4().hex[:8]}"

    def start(name: str, *args: str, **env_overrides: str) -> Service:
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
        log = tmp_path / f"{name}-{len(started)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "newsflow", name, *args],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        service = Service(name, process, port, log, env)
        started.append(service)
        return service

    yield start
    for service in started:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in started:
        try:
            service.process.wait(30)
        except subprocess.TimeoutExpired:
            service.process.kill()


# --- fault-suite accounting table, printed at the end of the run ---------------------------

FAULT_ROWS: list[dict[str, Any]] = []


@pytest.fixture
def fault_report() -> Any:
    """Append one accounting row (a dict) to the table printed after the tests."""
    return FAULT_ROWS.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FAULT_ROWS:
        return
    columns = list(dict.fromkeys(key for row in FAULT_ROWS for key in row))
    terminalreporter.section("fault accounting")
    terminalreporter.write_line(" | ".join(columns))
    for row in FAULT_ROWS:
        terminalreporter.write_line(" | ".join(str(row.get(c, "")) for c in columns))
