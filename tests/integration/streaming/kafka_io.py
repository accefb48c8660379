"""Publish raw messages and collect outcome events, straight on the broker."""

from __future__ import annotations

import time
from typing import Any

import orjson
from kafka import KafkaConsumer

from newsflow.kafka.clients import make_producer
from newsflow.kafka.settings import KafkaSettings
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
    consumer = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    assign_all(consumer, names, from_beginning=True)
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    deadline = time.monotonic() + timeout
    total = 0
    while total < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                found[record.topic].append(orjson.loads(record.value))
                total += 1
    consumer.close()
    return found
