"""`newsflow tail` without a broker: every record gets a line, a tombstone too."""

from __future__ import annotations

import io
from collections import namedtuple
from typing import Any

import orjson
import pytest
from kafka import TopicPartition

from newsflow.errors import ConfigError
from newsflow.tools.tail import summarize, tail

Record = namedtuple("Record", "topic value")
TP = TopicPartition("articles.raw", 0)


class Consumer:
    def __init__(self, values: list[bytes | None]) -> None:
        self.batches = [{TP: [Record(TP.topic, value) for value in values]}]

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0} if topic == TP.topic else None  # kafka-python: None for a topic not known

    def assign(self, partitions: list[TopicPartition]) -> None: ...

    def seek_to_beginning(self, *partitions: TopicPartition) -> None: ...

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Any]]:
        return self.batches.pop(0) if self.batches else {}


@pytest.mark.parametrize(("as_json", "shown"), [(False, "(no value)"), (True, "null")])
def test_a_record_without_a_value_gets_a_line_of_its_own(as_json: bool, shown: str) -> None:
    out = io.StringIO()
    values = [b'{"url": "https://example.com/a", "text": "x"}', None, b"not json"]
    count = tail(
        Consumer(values),
        ["articles.raw"],
        as_json=as_json,
        from_beginning=True,
        limit=None,
        idle_timeout=0.1,
        out=out,
    )
    lines = out.getvalue().splitlines()
    assert count == 3 and lines[1] == shown and lines[2] == "not json"


@pytest.mark.parametrize("topics", [["articles.nope"], ["articles.raw", "articles.nope"]])
def test_a_topic_the_cluster_does_not_have_is_named(topics: list[str]) -> None:
    """`newsflow tail articles.nope` ended in a traceback (ValueError from seek_to_end, "No
    partitions are currently assigned"); beside a topic that exists it was passed over."""
    with pytest.raises(ConfigError, match=r"no topic articles\.nope in the Kafka cluster"):
        tail(
            Consumer([]),
            topics,
            as_json=False,
            from_beginning=False,
            limit=None,
            idle_timeout=0.1,
            out=io.StringIO(),
        )


class TwoTopics(Consumer):
    def __init__(self) -> None:
        clean = TopicPartition("articles.clean", 0)
        rejected = TopicPartition("articles.rejected", 0)
        self.batches = [
            {
                clean: [Record(clean.topic, b'{"article_id": "a1", "extracted_at": "x"}')] * 2,
                rejected: [Record(rejected.topic, b'{"stage": "ingest", "reason": "bad_url"}')],
            }
        ]

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return {0} if topic in ("articles.clean", "articles.rejected") else None


def tail_of_two(limit: int | None) -> tuple[int, list[str]]:
    out = io.StringIO()
    count = tail(
        TwoTopics(),
        ["articles.clean", "articles.rejected"],
        as_json=False,
        from_beginning=True,
        limit=limit,
        idle_timeout=0.1,
        out=out,
    )
    return count, out.getvalue().splitlines()


def test_tailing_several_topics_names_each_line_s_topic() -> None:
    count, lines = tail_of_two(None)
    assert count == 3
    assert [line.split()[:2] for line in lines] == [
        ["articles.clean", "clean"],
        ["articles.clean", "clean"],
        ["articles.rejected", "rejection"],
    ]


def test_max_stops_the_tail_inside_a_batch() -> None:
    """`--max 1` printed every record of the first poll (up to 500), not one."""
    count, lines = tail_of_two(1)
    assert (count, len(lines)) == (1, 1)


def test_a_raw_message_of_text_is_shown_as_raw_not_as_a_clean_event() -> None:
    """`newsflow tail articles.raw` showed every text message (a .txt file published, a WET
    record) as `clean {"article_id":null,"title":null,…}`: a clean event was told by `text`."""
    from newsflow.events import clean_event
    from newsflow.model import Article, Extraction, Fingerprint

    raw = b'{"url": "https://example.com/a", "text": "Some words.", "title": "A"}'
    assert summarize(raw) == '{"url":"https://example.com/a","title":"A"}'
    article = Article(
        article_id="a" * 32,
        source_id=None,
        url="https://example.com/a",
        canonical_url="https://example.com/a",
        source="example.com",
        content_type="text",
        body="Some words.",
        body_hash="b" * 64,
        fetched_at=None,
        ingested_at="2026-12-07T00:00:00Z",
        language=None,
        title=None,
        metadata={},
    )
    clean = clean_event(
        article,
        Extraction("Some words.", None, [], None, None, "en", None, None, [], "x", "1", 1.0),
        Fingerprint(content_hash="c" * 64, word_count=2),
        extracted_at="2026-12-07T00:00:01Z",
    )
    assert summarize(orjson.dumps(clean)).startswith('clean      {"article_id":"aaaa')
