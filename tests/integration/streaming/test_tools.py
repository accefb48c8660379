"""Operator tools and guard rails on a real broker: topics, slow pages, replay."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from benchmarks.performance.procfs import tree
from kafka_io import collect, publish_raw

from newsflow.config import resolve
from newsflow.kafka.clients import make_producer
from newsflow.kafka.settings import KAFKA_SETTINGS, KafkaSettings, Topics

pytestmark = pytest.mark.kafka


def newsflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_topics_create_is_idempotent(broker: str) -> None:
    suffix = uuid.uuid4().hex[:6]
    env = {"NEWSFLOW_KAFKA_BOOTSTRAP": broker, "NEWSFLOW_TOPIC_RAW": f"raw.{suffix}"}
    first = newsflow("topics", "create", "--partitions", "3", env=env)
    second = newsflow("topics", "create", "--partitions", "3", env=env)
    assert first.returncode == 0, first.stderr
    assert f"raw.{suffix}: created" in first.stdout
    assert f"raw.{suffix}: exists" in second.stdout


def big_page(paragraphs: int) -> str:
    body = "".join(
        f"<p>Paragraph {n} of a very long page about the harbour and its ferries, "
        f"with the number {n * 7} to keep it unique.</p>"
        for n in range(paragraphs)
    )
    return f"<html><body><article>{body}</article></body></html>"


def test_a_page_slower_than_the_time_limit_is_dead_lettered_and_the_partition_moves_on(
    broker: str, topics: Topics, start_service: Any
) -> None:
    slow = orjson.dumps({"id": "slow", "url": "https://example.com/slow", "html": big_page(40_000)})
    normal = [
        orjson.dumps(
            {
                "id": f"n{i}",
                "url": f"https://example.com/{i}",
                "html": big_page(5).replace("harbour", f"harbour {i}"),
            }
        )
        for i in range(5)
    ]
    ingest = start_service("ingest")
    extract = start_service("extract", NEWSFLOW_EXTRACT_TIME_LIMIT="0.5")
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [slow, *normal])
    found = collect(broker, [topics.clean, topics.dlq], expected=6, timeout=90)
    [dead] = found[topics.dlq]
    assert (dead["source_id"], dead["reason"]) == ("slow", "extraction_timeout")
    assert sorted(e["source_id"] for e in found[topics.clean]) == [f"n{i}" for i in range(5)]
    timeouts = extract.settled_metric("newsflow_rejections_total", 1, reason="extraction_timeout")
    assert timeouts == 1


def test_replay_republishes_rejected_originals(
    broker: str, topics: Topics, start_service: Any
) -> None:
    ingest = start_service("ingest")
    ingest.wait_ready()
    bad = b'{"id": "r1", "url": "https://example.com/r1", "html": "<p>x</p>", "title": 5}'
    publish_raw(broker, topics.raw, [bad])
    assert len(collect(broker, [topics.rejected], expected=1)[topics.rejected]) == 1

    env = {**ingest.env}
    dry = newsflow("replay", "--from", "rejected", "--idle-timeout", "3", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would replay: ingest 1" in dry.stdout
    done = newsflow("replay", "--from", "rejected", "--idle-timeout", "3", env=env)
    assert "replayed: ingest 1" in done.stdout
    # The original went back to the raw topic and was rejected again, for the same reason.
    rejected = collect(broker, [topics.rejected], expected=2)[topics.rejected]
    assert [e["reason"] for e in rejected] == ["wrong_type", "wrong_type"]
    assert rejected[1]["original"] == bad.decode()
    again = newsflow("replay", "--from", "rejected", "--idle-timeout", "3", env=env)
    assert "replayed: ingest 1" in again.stdout  # only the new rejection, not the first again


def test_a_message_whose_rejection_would_not_fit_a_request_is_rejected_with_its_beginning(
    broker: str, topics: Topics, start_service: Any
) -> None:
    """3 MiB of control bytes: their JSON escapes take 18 MiB, over a produce request (16)."""
    ingest = start_service("ingest")
    ingest.wait_ready()
    after = b'{"id": "after", "url": "https://example.com/after", "title": 5, "text": "x"}'
    publish_raw(broker, topics.raw, [b"\x01" * (3 << 20), after])
    found = collect(broker, [topics.rejected], expected=2)[topics.rejected]
    rejected = {e["reason"]: e for e in found}
    assert sorted(rejected) == ["invalid_json", "wrong_type"]
    assert rejected["invalid_json"]["original_truncated"] is True
    assert rejected["invalid_json"]["original_bytes"] == 3 << 20
    assert rejected["wrong_type"]["source_id"] == "after"
    assert ingest.metric("newsflow_worker_restarts_total") == 0


def test_tail_prints_events(broker: str, topics: Topics) -> None:
    publish_raw(
        broker,
        topics.clean,
        [orjson.dumps({"article_id": "a" * 32, "title": "Hello", "extracted_at": "x", "url": "u"})],
    )
    result = newsflow(
        "tail",
        topics.clean,
        "--from-beginning",
        "--max",
        "1",
        env={"NEWSFLOW_KAFKA_BOOTSTRAP": broker},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("clean") and '"title":"Hello"' in result.stdout


def test_a_service_confined_to_one_cpu_keeps_every_process_and_thread_on_it(
    start_service: Any,
) -> None:
    """How the performance suite runs a replica given one CPU: the supervisor, its worker,
    the forkserver and the extractor child, with all their threads, stay on that CPU."""
    # On one CPU everything would inherit it anyway, and the test could not fail.
    assert len(os.sched_getaffinity(0)) >= 2, "needs two CPUs to tell confinement apart"
    cpu = max(os.sched_getaffinity(0))
    extract = start_service("extract", cpus={cpu})
    extract.wait_ready()
    pids = tree(extract.process.pid)
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids]
    assert len(pids) >= 4, commands  # supervisor, worker, forkserver, extractor
    threads = [int(t) for pid in pids for t in os.listdir(f"/proc/{pid}/task")]
    assert len(threads) > len(pids)
    assert {tid: os.sched_getaffinity(tid) for tid in threads} == {tid: {cpu} for tid in threads}


def test_the_producer_is_configured_with_the_linger_and_batch_size_asked_for(
    broker: str,
) -> None:
    """`NEWSFLOW_KAFKA_LINGER_MS` and `NEWSFLOW_KAFKA_BATCH_BYTES` reach kafka-python's
    producer (which then waits up to `linger` for a batch of up to `batch bytes` per
    partition), and the defaults are 100 ms and 256 KiB."""
    environ = {
        "NEWSFLOW_KAFKA_BOOTSTRAP": broker,
        "NEWSFLOW_KAFKA_LINGER_MS": "250",
        "NEWSFLOW_KAFKA_BATCH_BYTES": "65536",
    }
    settings = KafkaSettings.from_values(resolve(argparse.Namespace(), KAFKA_SETTINGS, environ))
    producer = make_producer(settings)
    try:
        assert (producer.config["linger_ms"], producer.config["batch_size"]) == (250, 65536)
    finally:
        producer.close()
    defaults = KafkaSettings.from_values(resolve(argparse.Namespace(), KAFKA_SETTINGS, {}))
    assert (defaults.linger_ms, defaults.batch_bytes) == (100, 256 * 1024)
