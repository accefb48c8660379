"""`newsflow demo`: the whole system on this machine, no servers to install.

Starts a local broker (Tansu), creates the topics, starts the ingest and extract services as
real processes (embedded SQLite store), publishes the inputs, and prints every outcome as it
arrives. It stops by itself once every input has its outcome (or on Ctrl-C), shutting the
services down with SIGTERM and the broker last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from kafka import KafkaConsumer

from newsflow.errors import NewsflowError
from newsflow.kafka.clients import create_topics, make_producer
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.stages.ingest import DEFAULT_MAX_BYTES
from newsflow.tools.publish import publish
from newsflow.tools.tail import tail

# Tansu joins groups in ≈ max(1 s, session_timeout / 2): short timeouts keep the demo snappy.
DEMO_GROUP_TIMINGS = {
    "NEWSFLOW_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "NEWSFLOW_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
}


def run_demo(inputs: Sequence[Path], *, workers: int, keep_running: bool, out: IO[str]) -> int:
    topics = Topics()
    workdir = Path(tempfile.mkdtemp(prefix="newsflow-demo-"))
    with LocalBroker() as broker:
        kafka = KafkaSettings(bootstrap=broker.bootstrap)
        create_topics(kafka, topics.all(), partitions=3, replication=1)
        print(f"broker  {broker.bootstrap} (Tansu, in memory)", file=out)
        env = {
            **os.environ,
            **DEMO_GROUP_TIMINGS,
            "NEWSFLOW_KAFKA_BOOTSTRAP": broker.bootstrap,
            "NEWSFLOW_STORE_URL": str(workdir / "store.sqlite"),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
        }
        ports = {"ingest": free_port(), "extract": free_port()}
        services = [
            _start(name, env, ports[name], workers if name == "extract" else 1, workdir)
            for name in ("ingest", "extract")
        ]
        for name, port in ports.items():
            print(
                f"{name:<7} http://127.0.0.1:{port}/metrics  (logs: {workdir}/{name}.log)", file=out
            )
        try:
            _wait_ready(services, ports, workdir)
            producer = make_producer(kafka)
            sent = publish(producer, topics.raw, inputs, max_bytes=DEFAULT_MAX_BYTES)
            producer.close()
            print(f"published {sent} messages to {topics.raw}; outcomes:\n", file=out)
            consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False)
            outcome_topics = [topics.clean, topics.duplicates, topics.rejected, topics.dlq]
            seen = tail(
                consumer,
                outcome_topics,
                as_json=False,
                from_beginning=True,
                limit=None if keep_running else sent,
                idle_timeout=None if keep_running else 60.0,
                out=out,
            )
            consumer.close()
            print(f"\n{seen} of {sent} messages have their outcome", file=out)
            return 0 if seen == sent else 1
        except KeyboardInterrupt:
            return 0
        finally:
            _stop(services)


def _start(
    name: str, env: dict[str, str], port: int, workers: int, workdir: Path
) -> subprocess.Popen[bytes]:
    log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "newsflow",
            name,
            "--http-port",
            str(port),
            "--http-host",
            "127.0.0.1",
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_ready(
    services: list[subprocess.Popen[bytes]], ports: dict[str, int], workdir: Path
) -> None:
    """Wait for both services' /readyz; fail with the log of one that exits."""
    deadline = time.monotonic() + 60
    pending = dict(zip(ports, services, strict=True))
    while pending and time.monotonic() < deadline:
        for name, process in list(pending.items()):
            if process.poll() is not None:
                log = (workdir / f"{name}.log").read_text()[-2000:]
                raise NewsflowError(f"{name} exited with {process.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[name]}/readyz", timeout=1):
                    del pending[name]
            except OSError:
                pass
        time.sleep(0.2)
    if pending:
        raise NewsflowError(f"not ready after 60 s: {', '.join(pending)}")


def _stop(services: list[subprocess.Popen[bytes]]) -> None:
    for process in services:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for process in services:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
