"""A rebalance that lands in the consume loop's poll ahead, on the real broker: a second
member joins while the first is in the middle of a batch. The first commits what it
processed, leaves the rest, and between them the two members process and commit every
record, each once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka_io import publish_raw

from newsflow.kafka.clients import create_topics, delete_topics, make_consumer, make_producer
from newsflow.kafka.settings import KafkaSettings
from newsflow.service.loop import ConsumeLoop, WorkerStatus
from newsflow.service.metrics import Metrics
from newsflow.service.processor import Output

pytestmark = pytest.mark.kafka

PARTITIONS, MESSAGES = 2, 60


class Recorder:
    """Processes a record into one output; records who processed what. The first member,
    at its sixth record, starts the second and waits for the group to begin rebalancing."""

    def __init__(self, name: str, processed: list[tuple[str, int, int]], out: str) -> None:
        self.name = name
        self.processed = processed
        self.out = out
        self.poll_ahead = 3
        self.on_sixth: Any = None
        self.count = 0

    def lookahead(self, records: list[Any], *, continuing: bool = False) -> None: ...

    def process(self, record: Any) -> list[Output]:
        self.count += 1
        if self.count == 6 and self.on_sixth is not None:
            self.on_sixth()
        self.processed.append((self.name, record.partition, record.offset))
        return [Output(self.out, None, f"{record.partition}:{record.offset}".encode(), "clean")]

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = "retries_exhausted"
    ) -> Output:
        raise AssertionError(detail)

    def healthy(self) -> bool:
        return True

    def context(self, record: Any) -> dict[str, str]:
        return {}


class CountingLoop(ConsumeLoop):
    """Counts the revocations that found a batch in the middle of its poll ahead."""

    revoked_mid_batch = 0

    def _commit_before_revocation(self) -> None:
        if self._polling_ahead is not None:
            CountingLoop.revoked_mid_batch += 1
        super()._commit_before_revocation()


@pytest.fixture
def topic(broker: str) -> Iterator[tuple[KafkaSettings, str, str]]:
    suffix = uuid.uuid4().hex[:8]
    kafka = KafkaSettings(
        bootstrap=broker,
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
        max_poll_interval_ms=60000,
        max_poll_records=10,
    )
    source, out = f"poll-ahead.{suffix}", f"poll-ahead-out.{suffix}"
    create_topics(kafka, [source, out], partitions=PARTITIONS, replication=1)
    yield kafka, source, out
    delete_topics(kafka, [source, out])


def test_a_member_joining_mid_batch_loses_nothing(
    topic: tuple[KafkaSettings, str, str], metrics: Metrics
) -> None:
    kafka, source, out = topic
    CountingLoop.revoked_mid_batch = 0
    publish_raw(kafka.bootstrap, source, [f"m{n}".encode() for n in range(MESSAGES)])
    group = f"poll-ahead-{uuid.uuid4().hex[:8]}"
    processed: list[tuple[str, int, int]] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    producers: list[Any] = []

    def member(name: str, on_sixth: Any = None) -> None:
        recorder = Recorder(name, processed, out)
        recorder.on_sixth = on_sixth
        producers.append(make_producer(kafka, client_id=name))
        loop = CountingLoop(
            consumer=make_consumer(kafka, group_id=group, client_id=name),
            producer=producers[-1],
            processor=recorder,
            topic=source,
            metrics=metrics,
            stop=stop,
            status=WorkerStatus(set_ready=lambda ready: None),
        )
        thread = threading.Thread(target=loop.run, name=name, daemon=True)
        threads.append(thread)
        thread.start()

    def second_joins() -> None:
        member("second")
        time.sleep(3)  # the second's join starts a rebalance; the first's heartbeat learns it

    member("first", on_sixth=second_joins)
    try:
        deadline = time.monotonic() + 90
        while committed_total(kafka, group, source) < MESSAGES:
            assert time.monotonic() < deadline, f"committed {committed_total(kafka, group, source)}"
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
        for producer in producers:  # the loop leaves its producer to its owner (run_worker)
            producer.close(timeout=10)
    assert CountingLoop.revoked_mid_batch >= 1
    seen = {(partition, offset) for _, partition, offset in processed}
    assert len(seen) == MESSAGES  # every record processed, by one member or the other
    # and none twice: what the first processed before the rebalance was committed then (a
    # refused commit would only redeliver those records, with the same outcomes)
    assert len(processed) == MESSAGES
    assert {name for name, _, _ in processed} == {"first", "second"}


def committed_total(kafka: KafkaSettings, group: str, topic: str) -> int:
    """Records committed by the group, over all partitions."""
    reader = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=group)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        return sum(reader.committed(tp) or 0 for tp in tps)
    finally:
        reader.close()
