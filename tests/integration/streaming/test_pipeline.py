"""Both services on a real broker: every input ends in exactly one outcome topic."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from corpus import messages
from kafka_io import accounting, collect, outcome_topics, publish_raw

from newsflow.contracts.codec import validate
from newsflow.kafka.settings import Topics

pytestmark = pytest.mark.kafka
SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SCHEMA = {"clean": "clean", "duplicates": "duplicate", "rejected": "rejection", "dlq": "rejection"}


def by_kind(found: dict[str, list[dict[str, Any]]], topics: Topics) -> dict[str, list[dict]]:
    names = outcome_topics(topics)
    result = {names[topic]: events for topic, events in found.items()}
    for kind, events in result.items():
        for event in events:
            validate(SCHEMA[kind], event)  # type: ignore[arg-type]
    return result


def test_seeds_a_copy_and_malformed_messages(
    broker: str, topics: Topics, start_service: Any, tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for seed in sorted(SAMPLES.glob("0*.txt")):
        shutil.copy(seed, inputs)
    shutil.copy(next(SAMPLES.glob("002_*.txt")), inputs / "copy-of-002.txt")
    malformed = (SAMPLES / "crawl.ndjson").read_bytes().splitlines()[1:]  # the five bad lines
    assert len(malformed) == 5
    (inputs / "bad.ndjson").write_bytes(b"\n".join(malformed) + b"\n")

    ingest = start_service("ingest")
    extract = start_service("extract")
    ingest.wait_ready()
    extract.wait_ready()
    from newsflow.kafka.clients import make_producer
    from newsflow.kafka.settings import KafkaSettings
    from newsflow.tools.publish import publish

    producer = make_producer(KafkaSettings(bootstrap=broker))
    assert publish(producer, topics.raw, [inputs], max_bytes=10_000_000).sent == 11
    producer.close()

    result = by_kind(collect(broker, list(outcome_topics(topics)), expected=11), topics)
    # and nothing more comes: every input has exactly one outcome
    late = collect(broker, list(outcome_topics(topics)), expected=12, timeout=3)
    assert sum(len(events) for events in late.values()) == 11
    assert {k: len(v) for k, v in result.items()} == {
        "clean": 5,
        "duplicates": 1,
        "rejected": 5,
        "dlq": 0,
    }
    assert all(event["title"] for event in result["clean"])
    [duplicate] = result["duplicates"]
    originals = {e["article_id"] for e in result["clean"]}
    assert duplicate["duplicate_of"] in originals
    assert sorted(e["reason"] for e in result["rejected"]) == [
        "bad_encoding",
        "bad_url",
        "invalid_json",
        "missing_field",
        "wrong_type",
    ]
    assert all(e["origin"]["topic"] == topics.raw for e in result["rejected"])

    # /metrics agree with what was processed.
    assert ingest.metric("newsflow_outcomes_total", outcome="ingested") == 6
    assert ingest.metric("newsflow_outcomes_total", outcome="rejected") == 5
    assert ingest.metric("newsflow_rejections_total", reason="bad_url") == 1
    assert ingest.metric("newsflow_messages_consumed_total") == 11
    assert extract.metric("newsflow_outcomes_total", outcome="clean") == 5
    assert extract.metric("newsflow_outcomes_total", outcome="duplicate") == 1
    assert extract.metric("newsflow_outcomes_total", outcome="dlq") == 0
    # The copy has the original's exact bytes: decided as a re-crawl, without extraction.
    assert extract.metric("newsflow_extraction_seconds_count") == 5
    assert extract.metric("newsflow_end_to_end_seconds_count") == 6
    assert extract.metric("newsflow_in_flight_messages") == 0
    assert extract.metric("newsflow_consumer_lag_messages") == 0


def test_readyz_is_503_before_assignment_and_200_after(start_service: Any) -> None:
    extract = start_service("extract")
    extract.wait_http()
    status, body = extract.get("/readyz")
    assert status == 503, body
    extract.wait_ready()
    assert extract.get("/readyz")[0] == 200
    assert extract.get("/healthz")[0] == 200


def test_not_ready_while_the_store_is_unreachable(start_service: Any) -> None:
    extract = start_service("extract", NEWSFLOW_STORE_URL="redis://127.0.0.1:1/0")
    extract.wait_http()
    deadline = time.monotonic() + 60
    joined = "partitions assigned"  # the worker runs and has joined: only the store fails
    while joined not in extract.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert joined in extract.log.read_text()
    for _ in range(5):
        time.sleep(1)
        status, body = extract.get("/readyz")
        assert status == 503, body


def test_an_extractor_that_cannot_start_stops_the_service_with_a_configuration_error(
    start_service: Any,
) -> None:
    # 100 MiB of address space is less than the extractor's start-up takes: restarting the
    # worker would not help, so the service stops, naming the setting.
    extract = start_service("extract", NEWSFLOW_EXTRACT_MEMORY_MB="100")
    assert extract.process.wait(60) == 2
    log = extract.log_text()
    assert "cap of 100 MiB (NEWSFLOW_EXTRACT_MEMORY_MB) is too small" in log
    assert "Traceback" not in log  # the child says nothing of its own: the worker says it once
    assert "a worker cannot start (configuration error" in log
    assert "worker died; restarting it" not in log


@pytest.mark.redis
def test_two_thousand_messages_survive_a_worker_killed_mid_run(
    broker: str, topics: Topics, start_service: Any, redis_url: str, redis_prefix: str
) -> None:
    corpus = messages(2000)
    ids = [source_id for source_id, _ in corpus]
    ingest = start_service("ingest", "--workers", "2")
    extract = start_service(
        "extract",
        "--workers",
        "2",
        NEWSFLOW_STORE_URL=redis_url,
        NEWSFLOW_STORE_PREFIX=redis_prefix,
    )
    ingest.wait_ready()
    extract.wait_ready()
    publish_raw(broker, topics.raw, [raw for _, raw in corpus])

    deadline = time.monotonic() + 60
    while extract.metric("newsflow_outcomes_total") < 300 and time.monotonic() < deadline:
        time.sleep(0.2)
    victim = extract.worker_pids()[0]
    import os
    import signal

    os.kill(victim, signal.SIGKILL)
    found = collect(broker, list(outcome_topics(topics)), expected=2000, timeout=240)
    time.sleep(3)  # let redeliveries after the restart land too
    found = collect(broker, list(outcome_topics(topics)), expected=10**9, timeout=3)

    report = accounting(found, topics, ids)
    print("accounting:", {k: (len(v) if isinstance(v, list) else v) for k, v in report.items()})
    assert report["missing"] == []
    assert report["in_two_topics"] == []
    assert report["changed_decision"] == []
    assert extract.metric("newsflow_worker_restarts_total") == 1
    assert victim not in extract.worker_pids()
    assert len(extract.worker_pids()) == 2
    clean = {e["source_id"] for e in found[topics.clean]}
    duplicates = {e["source_id"] for e in found[topics.duplicates]}
    assert len(duplicates) == 200 and len(clean) == 1800
    import redis

    client = redis.Redis.from_url(redis_url)
    claims = list(client.scan_iter(f"{redis_prefix}hash:*"))
    assert len(claims) == 1800  # one content-hash claim per distinct text, shared by both workers


def test_sigterm_under_load_exits_zero_and_loses_nothing(
    broker: str, topics: Topics, start_service: Any
) -> None:
    corpus = messages(600, copies_every=1000)
    ids = [source_id for source_id, _ in corpus]
    ingest = start_service("ingest")
    first = start_service("extract")
    ingest.wait_ready()
    first.wait_ready()
    publish_raw(broker, topics.raw, [raw for _, raw in corpus])
    deadline = time.monotonic() + 60
    while first.metric("newsflow_outcomes_total") < 100 and time.monotonic() < deadline:
        time.sleep(0.1)
    started = time.monotonic()
    assert first.terminate() == 0
    assert time.monotonic() - started < 30
    assert "stopped" in first.log_text()

    second = start_service("extract")
    found = collect(broker, list(outcome_topics(topics)), expected=600, timeout=180)
    report = accounting(found, topics, ids)
    assert report["missing"] == [] and report["in_two_topics"] == []
    assert report["changed_decision"] == []
    # Every message is a distinct valid article: each one clean, none dead-lettered or
    # rejected on the way out ("missing" counts any outcome topic as found).
    assert {e["source_id"] for e in found[topics.clean]} == set(ids)
    # The batch in hand was finished, flushed and committed on the way out: nothing the first
    # instance published is published again, and the second did not start from zero.
    assert report["redelivered"] == 0
    assert second.metric("newsflow_messages_consumed_total") < 600
