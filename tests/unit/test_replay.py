"""`newsflow replay` without a broker: which originals go back, and how far a replay goes."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import orjson
from kafka import TopicPartition
from tests.recording import RecordingProducer

from newsflow import events
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
    def __init__(self, values: list[bytes]) -> None:
        self.batches = [{TP: [Record(n, 0, b"k", v) for n, v in enumerate(values)]}]
        self.committed: dict[TopicPartition, int] = {}

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Record]]:
        return self.batches.pop(0) if self.batches else {}

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
