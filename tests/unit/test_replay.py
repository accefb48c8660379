"""`newsflow replay` without a broker: which originals go back, and how far a replay goes."""

from __future__ import annotations

import time
from collections import namedtuple
from typing import Any

import orjson
import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError
from tests.recording import RecordingProducer

from newsflow import events
from newsflow.errors import NewsflowError
from newsflow.model import Origin
from newsflow.rejection import Rejection
from newsflow.tools.replay import replay, replay_group

Record = namedtuple("Record", "offset timestamp key value")
TP = TopicPartition("articles.rejected", 0)


def rejection(reason: str, original: bytes) -> bytes:
    event = events.rejection_event(
        Rejection(reason, "why"),
        stage="ingest",
        original=original,
        origin=Origin(topic="articles.raw", partition=0, offset=7),
        rejected_at="2024-01-01T00:00:00Z",
    )
    return orjson.dumps(event)


class Consumer:
    """Assigned its partition at the `joins_after`-th poll (never: None), which brings the
    records."""

    def __init__(self, values: list[bytes], *, joins_after: int | None = 1) -> None:
        self.batches = [{TP: [Record(n, 0, b"k", v) for n, v in enumerate(values)]}]
        self.committed: dict[TopicPartition, int] = {}
        self.joins_after = joins_after
        self.polls = 0

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Record]]:
        self.polls += 1
        if not self.assignment():
            time.sleep(timeout_ms / 1000)  # a poll waits while the group has not assigned
            return {}
        return self.batches.pop(0) if self.batches else {}

    def assignment(self) -> set[TopicPartition]:
        joined = self.joins_after is not None and self.polls >= self.joins_after
        return {TP} if joined else set()

    def subscription(self) -> set[str]:
        return {TP.topic}

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})


def run(
    values: list[bytes], reasons: list[str] | None = None
) -> tuple[dict[str, int], RecordingProducer]:
    producer = RecordingProducer()
    counts = replay(
        Consumer(values),
        producer,
        targets={"ingest": "articles.raw"},
        reasons=reasons,
        dry_run=False,
        idle_timeout=0.2,
    )
    return counts, producer


def test_the_originals_go_back_as_they_came_except_those_cut_to_fit() -> None:
    huge = b'{"url": "https://example.com/h", "html": "' + b"\x01" * 600_000 + b'"}'
    counts, producer = run([rejection("bad_url", b"first"), rejection("invalid_json", huge)])
    assert counts == {"ingest": 1, "cut": 1}
    assert producer.sent == [b"first"]


def test_a_replay_of_some_reasons_keeps_its_own_progress() -> None:
    assert replay_group("rejected", None) == "newsflow-replay-rejected"
    assert replay_group("rejected", ["bad_url", "bad_timestamp", "bad_url"]) == (
        "newsflow-replay-rejected-bad_timestamp+bad_url"
    )
    counts, producer = run([rejection("bad_url", b"a"), rejection("wrong_type", b"b")], ["bad_url"])
    assert counts == {"ingest": 1, "skipped": 1} and producer.sent == [b"a"]


def test_the_idle_time_counts_from_when_the_group_assigned_the_partitions() -> None:
    """The join took longer than the idle timeout: the replay said "nothing" (by hand, on the
    local broker, whose group joins take half the session timeout: 23 s)."""
    producer = RecordingProducer()
    consumer = Consumer([rejection("bad_url", b"first")], joins_after=4)  # 1.5 s of polls
    counts = replay_of(consumer, producer)
    assert counts == {"ingest": 1} and producer.sent == [b"first"]
    assert consumer.committed == {TP: 1}


def test_a_replay_never_assigned_a_partition_says_so_instead_of_nothing_to_replay() -> None:
    producer = RecordingProducer()
    with pytest.raises(NewsflowError, match=r"no partition of articles\.rejected was assigned"):
        replay(
            Consumer([rejection("bad_url", b"first")], joins_after=None),
            producer,
            targets={"ingest": "articles.raw"},
            reasons=None,
            dry_run=False,
            idle_timeout=0.2,
            join_timeout=1.0,
        )
    assert producer.sent == []


def test_a_record_that_holds_no_rejection_is_counted_and_passed_over() -> None:
    """A record of another writer on the topic (not JSON, not an object, a tombstone) ended
    the replay in an orjson traceback, before the commit: every later run stopped there."""
    counts, producer = run([b"not json", b"[1]", None, rejection("bad_url", b"after")])  # type: ignore[list-item]
    assert counts == {"unreadable": 3, "ingest": 1} and producer.sent == [b"after"]


class Seeking(Consumer):
    """A consumer that records where the replay leaves a partition."""

    def __init__(self, records: list[Record]) -> None:
        super().__init__([])
        self.batches = [{TP: records}]
        self.sought: list[tuple[TopicPartition, int]] = []
        self.paused: list[TopicPartition] = []

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought.append((tp, offset))

    def pause(self, tp: TopicPartition) -> None:
        self.paused.append(tp)


def replay_of(consumer: Consumer, producer: Any, *, dry_run: bool = False) -> dict[str, int]:
    return replay(
        consumer,
        producer,
        targets={"ingest": "articles.raw"},
        reasons=None,
        dry_run=dry_run,
        idle_timeout=0.2,
    )


def test_the_next_replay_starts_after_the_last_record_replayed() -> None:
    consumer = Consumer([rejection("bad_url", b"a"), rejection("bad_url", b"b")])
    replay_of(consumer, RecordingProducer())
    assert consumer.committed == {TP: 2}  # the offset of the next record, as Kafka counts


def test_a_dry_run_sends_nothing_and_leaves_the_records_for_the_real_run() -> None:
    consumer, producer = Consumer([rejection("bad_url", b"a")]), RecordingProducer()
    assert replay_of(consumer, producer, dry_run=True) == {"ingest": 1}
    assert (producer.sent, consumer.committed) == ([], {})


def test_records_rejected_after_the_replay_started_are_left_for_the_next_one() -> None:
    """A replayed message that is rejected again comes back to the topic being replayed: it
    is not replayed again in the same run, which would loop for ever."""
    later = int(time.time() * 1000) + 60_000
    records = [Record(0, 0, b"k", rejection("bad_url", b"a")),
               Record(1, later, b"k", rejection("bad_url", b"a"))]  # fmt: skip
    consumer, producer = Seeking(records), RecordingProducer()
    assert replay_of(consumer, producer) == {"ingest": 1}
    assert (consumer.sought, consumer.paused, consumer.committed) == ([(TP, 1)], [TP], {TP: 1})


def test_nothing_is_committed_when_a_replayed_message_was_not_delivered() -> None:
    class Undelivered(RecordingProducer):
        def get(self, timeout: float) -> None:
            raise KafkaTimeoutError("Batch for articles.raw-0 expired")

    consumer = Consumer([rejection("bad_url", b"a")])
    with pytest.raises(KafkaTimeoutError):
        replay_of(consumer, Undelivered())
    assert consumer.committed == {}
