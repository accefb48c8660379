"""`newsflow process` and the services, given the same inputs, write the same events."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka_io import collect_records, outcome_topics

from newsflow.kafka.clients import make_producer
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.tools.publish import DEFAULT_BASE_URL, publish

pytestmark = pytest.mark.kafka
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "contracts"
MOMENTS = ("ingested_at", "extracted_at", "decided_at", "rejected_at")


def without_moments(event: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name not in MOMENTS}


def test_process_and_the_services_write_the_same_events_for_the_same_inputs(
    broker: str, topics: Topics, start_service: Any, tmp_path: Path
) -> None:
    inputs = FIXTURES
    out = tmp_path / "out"
    store = tmp_path / "batch.sqlite"
    command = ["process", str(inputs), "--out", str(out), "--base-url", DEFAULT_BASE_URL]
    subprocess.run(
        [sys.executable, "-m", "newsflow", *command, "--quiet", "--store-url", str(store)],
        check=True,
    )
    batch = {
        name: [orjson.loads(line) for line in (out / f"{name}.ndjson").read_bytes().splitlines()]
        for name in ("clean", "duplicates", "rejected")
    }
    expected = sum(len(events) for events in batch.values())

    for name in ("ingest", "extract"):
        start_service(name).wait_ready()
    producer = make_producer(KafkaSettings(bootstrap=broker))
    publish(producer, topics.raw, [inputs], max_bytes=10_000_000)
    producer.close()
    names = outcome_topics(topics)
    streamed = collect_records(broker, list(names), expected=expected)
    assert len(streamed) == expected

    # Where an input came from differs (a file and line, a topic and offset), and what a dead
    # letter carries to be replayed (the raw message `process` read; the ingested event the
    # extract service read, which `replay` sends back to the ingested topic). All else agrees.
    def comparable(event: dict[str, Any]) -> dict[str, Any]:
        kept = without_moments(event)
        if "origin" in event:
            del kept["origin"], kept["original"]
        return kept

    def identity(event: dict[str, Any]) -> Any:
        return event["article_id"] or event["source_id"]

    written = {identity(e): comparable(e) for events in batch.values() for e in events}
    assert {identity(event): comparable(event) for _, _, event in streamed} == written
    assert sorted(names[topic] for topic, _, _ in streamed) == [
        *["clean"] * len(batch["clean"]),
        *["dlq"] * 3,
        "rejected",
    ]
    for topic, key, event in streamed:
        if names[topic] == "clean":
            assert key == event["article_id"].encode()
        elif names[topic] == "dlq":
            assert key == event["url"].encode()  # the ingested record's key (canonical URL)
