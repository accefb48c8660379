"""`newsflow demo`: the whole system on this machine, no servers to install.

Starts a local broker (Tansu), creates the topics, starts the ingest and extract services as
real processes (embedded SQLite store), publishes the inputs, and prints every outcome as it
arrives. It stops by itself once every input has its outcome (or on Ctrl-C), shutting the
services down with SIGTERM and the broker last.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from kafka import KafkaConsumer

from newsflow.config import ENV_PREFIX
from newsflow.kafka.clients import create_topics, make_producer
from newsflow.kafka.localbroker import LocalBroker, free_port
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.stages.ingest import DEFAULT_MAX_BYTES
from newsflow.tools.publish import publish
from newsflow.tools.service_process import ServiceProcess, stop_all
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
            **without_settings(os.environ),
            **DEMO_GROUP_TIMINGS,
            "NEWSFLOW_KAFKA_BOOTSTRAP": broker.bootstrap,
            "NEWSFLOW_STORE_URL": str(workdir / "store.sqlite"),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
        }
        services = [
            _start(name, env, workers if name == "extract" else 1, workdir)
            for name in ("ingest", "extract")
        ]
        for service in services:
            print(f"{service.name:<7} {service.url('/metrics')}  (logs: {service.log})", file=out)
        try:
            for service in services:
                service.wait_ready()
            producer = make_producer(kafka)
            sent = publish(producer, topics.raw, inputs, max_bytes=DEFAULT_MAX_BYTES).sent
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
            stop_all(services, timeout=20)


def without_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without its `NEWSFLOW_*` settings: the demo reads none. A shell set up
    for a deployment (NEWSFLOW_TOPIC_RAW, NEWSFLOW_KAFKA_SECURITY_PROTOCOL) sent the demo's
    services to other topics than the ones it made, or to a listener its broker does not have."""
    return {k: v for k, v in environ.items() if not k.startswith(ENV_PREFIX)}


def _start(name: str, env: dict[str, str], workers: int, workdir: Path) -> ServiceProcess:
    settings = {**env, "NEWSFLOW_HTTP_HOST": "127.0.0.1", "NEWSFLOW_HTTP_PORT": str(free_port())}
    return ServiceProcess(name, settings, workdir / f"{name}.log", ["--workers", str(workers)])
