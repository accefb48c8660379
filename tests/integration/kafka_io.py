"""Publish raw messages and collect outcome events, straight on the broker."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import orjson
from kafka import KafkaConsumer

from newsflow.kafka.clients import make_producer
from newsflow.kafka.settings import KafkaSettings, Topics
from newsflow.tools.tail import assign_all


def publish_raw(broker: str, topic: str, messages: list[bytes]) -> None:
    producer = make_producer(KafkaSettings(bootstrap=broker))
    futures = [producer.send(topic, value=m) for m in messages]
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    producer.close()


def collect(
    broker: str, names: list[str], *, expected: int, timeout: float = 120
) -> dict[str, list[dict[str, Any]]]:
    """Read outcome topics from the start until `expected` events in all (or the timeout)."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for topic, _key, event in collect_records(broker, names, expected=expected, timeout=timeout):
        found[topic].append(event)
    return found


def collect_records(
    broker: str, names: list[str], *, expected: int, timeout: float = 120
) -> list[tuple[str, bytes | None, dict[str, Any]]]:
    """(topic, key, event) of each record of the topics, read from the start until `expected`
    of them (or the timeout)."""
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    assign_all(consumer, names, from_beginning=True)
    found: list[tuple[str, bytes | None, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    while len(found) < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            found.extend((r.topic, r.key, orjson.loads(r.value)) for r in records)
    consumer.close()
    return found


def collect_ids(
    broker: str, names: list[str], ids: set[str], *, timeout: float
) -> dict[str, list[dict[str, Any]]]:
    """Read outcome topics from the start until every source_id in `ids` has an outcome, then
    a little longer so late redeliveries are counted too."""
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    assign_all(consumer, names, from_beginning=True)
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    settle_until = None
    while time.monotonic() < deadline:
        if settle_until is None and ids <= seen:
            settle_until = time.monotonic() + 3
        if settle_until is not None and time.monotonic() > settle_until:
            break
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                event = orjson.loads(record.value)
                found[record.topic].append(event)
                seen.add(event.get("source_id"))
    consumer.close()
    return found


def outcome_topics(topics: Topics) -> dict[str, str]:
    return {
        topics.clean: "clean",
        topics.duplicates: "duplicates",
        topics.rejected: "rejected",
        topics.dlq: "dlq",
    }


def decision(event: dict[str, Any]) -> tuple[Any, ...]:
    """What an outcome event decided, which a redelivery must repeat: the original of a
    duplicate, the `dedup` object and story of a clean article, the reason of a rejection."""
    dedup = event.get("dedup") or {}
    return (
        event.get("duplicate_of"),
        event.get("story_id"),
        tuple(sorted(dedup.items())),
        event.get("reason"),
    )


def accounting(found: dict[str, list[dict]], topics: Topics, ids: list[str]) -> dict[str, Any]:
    """Each source_id's outcomes: kinds seen and the decision, across redeliveries."""
    kinds: dict[str, set[str]] = defaultdict(set)
    decisions: dict[str, set[Any]] = defaultdict(set)
    deliveries = 0
    for topic, events in found.items():
        kind = outcome_topics(topics)[topic]
        for event in events:
            kinds[event["source_id"]].add(kind)
            decisions[event["source_id"]].add(decision(event))
            deliveries += 1
    return {
        "missing": [i for i in ids if i not in kinds],
        "in_two_topics": [i for i in ids if len(kinds[i]) > 1],
        "changed_decision": [i for i in ids if len(decisions[i]) > 1],
        "redelivered": deliveries - len(kinds),
    }


def trace(broker: str, topics: Topics, source_ids: list[str]) -> dict[str, list[str]]:
    """Which topics hold each of `source_ids` (raw messages carry it as `id`): a lost message's
    last known stage, for assertion messages."""
    wanted = set(source_ids)
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    names = [topics.raw, topics.ingested, *outcome_topics(topics)]
    assign_all(consumer, names, from_beginning=True)
    where: dict[str, list[str]] = {i: [] for i in source_ids}
    idle = 0
    while idle < 4:
        batch = consumer.poll(timeout_ms=500)
        idle = 0 if batch else idle + 1
        for records in batch.values():
            for record in records:
                try:
                    event = orjson.loads(record.value)
                except orjson.JSONDecodeError:
                    continue
                found = event.get("source_id", event.get("id"))
                if found in wanted:
                    where[found].append(f"{record.topic}@{record.partition}:{record.offset}")
    consumer.close()
    return where
