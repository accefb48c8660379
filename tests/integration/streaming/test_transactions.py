"""Raw messages written by a transactional producer are read once committed, never before.

A crawler that writes `articles.raw` in transactions (exactly-once sinks do) may abort one:
its records stay in the log, marked aborted. A consumer reading uncommitted records
forwards them before the outcome of their transaction is known, so an aborted page was
ingested, and counted and deduplicated downstream as if the crawler had published it. The
services read committed records only (`isolation_level=read_committed`)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer
from kafka_io import collect

from newsflow.kafka.settings import Topics

pytestmark = pytest.mark.kafka
TEXT = "The council approved the new budget on Tuesday after a long debate. " * 4


def raw(source_id: str) -> bytes:
    return orjson.dumps({"id": source_id, "url": f"https://example.com/{source_id}", "text": TEXT})


def test_records_of_an_open_transaction_wait_for_its_commit(
    broker: str, topics: Topics, start_service: Any
) -> None:
    # Tansu gap (BROKER.md): an aborted transaction's records are delivered even to a
    # read_committed consumer, so this test holds a transaction open instead of aborting one:
    # Tansu, like Kafka, keeps a read_committed consumer below the open transaction's records.
    ingest = start_service("ingest")
    ingest.wait_ready()
    crawler = KafkaProducer(bootstrap_servers=broker, transactional_id=uuid.uuid4().hex)
    crawler.init_transactions()
    crawler.begin_transaction()
    for n in range(3):
        crawler.send(topics.raw, value=raw(f"in-transaction-{n}"), partition=0)
    crawler.flush()
    plain = KafkaProducer(bootstrap_servers=broker)
    plain.send(topics.raw, value=raw("outside"), partition=1)
    plain.flush()
    plain.close()

    # The record outside the transaction is ingested; those inside are not, until committed.
    found = collect(broker, [topics.ingested], expected=4, timeout=8)
    assert [e["source_id"] for e in found[topics.ingested]] == ["outside"]

    crawler.commit_transaction()
    crawler.close()
    found = collect(broker, [topics.ingested], expected=4, timeout=30)
    assert sorted(e["source_id"] for e in found[topics.ingested]) == [
        "in-transaction-0",
        "in-transaction-1",
        "in-transaction-2",
        "outside",
    ]
