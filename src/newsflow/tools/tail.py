"""`newsflow tail TOPIC`: print a topic's events as they arrive (no consumer group, no commits)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, Any

import orjson
from kafka import TopicPartition

from newsflow.errors import ConfigError

_FIELDS = {
    "clean": ("article_id", "title", "url", "word_count", "dedup", "story_id"),
    "duplicate": ("article_id", "url", "duplicate_of", "method"),
    "rejection": ("stage", "reason", "detail", "origin", "source_id"),
    "ingested": ("article_id", "canonical_url", "source", "content_type"),
}


def summarize(value: bytes) -> str:
    """One readable line for an event: its kind's key fields, or the raw text if not JSON."""
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError:
        return value[:200].decode("utf-8", "replace")
    if not isinstance(event, dict):
        return repr(event)[:200]
    kind = (
        "rejection"
        if "reason" in event
        else "duplicate"
        if "duplicate_of" in event
        else "clean"
        if "extracted_at" in event  # (a raw message may have a `text`)
        else "ingested"
        if "body" in event
        else None
    )
    if kind is None:
        return orjson.dumps({k: v for k, v in event.items() if k not in ("html", "text")}).decode()
    shown = {k: event.get(k) for k in _FIELDS[kind]}
    return f"{kind:<10} " + orjson.dumps(shown).decode()


def assign_all(consumer: Any, topics: list[str], *, from_beginning: bool) -> None:
    """Every partition of `topics`; `ConfigError` naming the topics the cluster does not have
    (one missing was passed over in silence, and all missing ended in a traceback)."""
    found = {topic: consumer.partitions_for_topic(topic) for topic in topics}
    if missing := [topic for topic, numbers in found.items() if not numbers]:
        raise ConfigError(
            f"no topic {', '.join(missing)} in the Kafka cluster (is NEWSFLOW_KAFKA_BOOTSTRAP "
            "right? the topic names are the arguments, not the NEWSFLOW_TOPIC_* settings)"
        )
    partitions = [TopicPartition(topic, p) for topic, numbers in found.items() for p in numbers]
    consumer.assign(partitions)
    if from_beginning:
        consumer.seek_to_beginning(*partitions)
    else:
        consumer.seek_to_end(*partitions)


def tail(
    consumer: Any,
    topics: list[str],
    *,
    as_json: bool,
    from_beginning: bool,
    limit: int | None,
    idle_timeout: float | None,
    out: IO[str] = sys.stdout,
    on_record: Callable[[Any], None] | None = None,
) -> int:
    """Print records until `limit` records or `idle_timeout` seconds without any; returns count."""
    assign_all(consumer, topics, from_beginning=from_beginning)
    count, last = 0, time.monotonic()
    while limit is None or count < limit:
        batch = consumer.poll(timeout_ms=500)
        if not batch:
            if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                break
            continue
        last = time.monotonic()
        for records in batch.values():
            for record in records:
                prefix = "" if as_json or len(topics) == 1 else f"{record.topic:<20} "
                if record.value is None:  # a tombstone
                    line = "null" if as_json else "(no value)"
                elif as_json:
                    line = record.value.decode("utf-8", "replace")
                else:
                    line = summarize(record.value)
                print(prefix + line, file=out, flush=True)
                if on_record:
                    on_record(record)
                count += 1
                if count == limit:  # (a poll brings up to max_poll_records)
                    return count
    return count
