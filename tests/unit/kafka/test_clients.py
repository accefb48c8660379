"""How the Kafka clients are built and topics created, against fake kafka-python classes
(the real broker is in tests/integration)."""

from __future__ import annotations

from typing import Any

import pytest

from newsflow.kafka import clients
from newsflow.kafka.settings import KafkaSettings

SETTINGS = KafkaSettings(bootstrap="kafka-0:9092")


def test_topics_create_asks_only_for_the_missing_topics_and_says_which_it_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A principal may create topics without rights over the existing ones, and a broker need
    not say a topic exists: the existing ones are left alone, and reported as existing."""
    asked: list[str] = []

    class Admin:
        def __init__(self, **_: Any) -> None:
            pass

        def list_topics(self) -> list[str]:
            return ["articles.raw"]

        def create_topics(self, topics: list[Any]) -> None:
            asked.extend(topic.name for topic in topics)

        def close(self) -> None:
            pass

    monkeypatch.setattr(clients, "KafkaAdminClient", Admin)
    names = ["articles.raw", "articles.clean"]
    assert clients.create_topics(SETTINGS, names, partitions=6, replication=1) == ["articles.clean"]
    assert asked == ["articles.clean"]


def test_the_clients_are_configured_for_at_least_once_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Offsets are committed by the loop once outputs are acknowledged by every in-sync
    replica (auto-commit would commit records not yet decided); only committed transactions
    are read; a record as large as a produce request can be fetched."""
    made: dict[str, dict[str, Any]] = {}
    monkeypatch.setattr(clients, "KafkaConsumer", lambda **options: made.setdefault("c", options))
    monkeypatch.setattr(clients, "KafkaProducer", lambda **options: made.setdefault("p", options))
    large = KafkaSettings(bootstrap="kafka-0:9092", max_request_bytes=64 << 20)
    clients.make_consumer(large, group_id="newsflow-extract")
    clients.make_producer(large)
    consumer, producer = made["c"], made["p"]
    assert (consumer["enable_auto_commit"], consumer["isolation_level"]) == (
        False,
        "read_committed",
    )
    assert consumer["fetch_max_bytes"] >= consumer["max_partition_fetch_bytes"] == 64 << 20
    assert (producer["acks"], producer["enable_idempotence"]) == ("all", True)
