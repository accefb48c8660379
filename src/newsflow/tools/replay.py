"""`newsflow replay`: re-publish the originals of rejected / dead-lettered messages after a fix.

A rejection from ingest holds the raw message: it goes back to the raw topic. A dead letter
from extract holds the ingested event: it goes back to the ingested topic. Only records that
existed when the replay started are replayed (a message rejected again is not replayed in a
loop), and the replay group's committed offsets make the next run start after them. A replay
of some reasons only (`--reason`) has a group of its own for those reasons, so the records it
passes over stay for a replay of all reasons, or of theirs. A rejection whose original was too
large to carry whole (`original_truncated`) is counted as cut and not re-sent: its `origin`
points at the whole message.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import orjson
from kafka.structs import OffsetAndMetadata

from newsflow.errors import NewsflowError
from newsflow.events import original_bytes

JOIN_TIMEOUT = 60.0
"""Seconds a replay waits for its group to assign it partitions before it gives up: a group
whose last member went away without leaving waits for that member's session to expire (45 s
by default)."""


def replay_group(source: str, reasons: Collection[str] | None) -> str:
    """The consumer group whose offsets say how far replays of `source` (of only `reasons`,
    when given) have gone."""
    group = f"newsflow-replay-{source}"
    return f"{group}-{'+'.join(sorted(set(reasons)))}" if reasons else group


def replay(
    consumer: Any,
    producer: Any,
    *,
    targets: dict[str, str],
    reasons: Collection[str] | None,
    dry_run: bool,
    idle_timeout: float,
    join_timeout: float = JOIN_TIMEOUT,
) -> dict[str, int]:
    """Re-publish every matching record's original; returns counts by stage (and skipped).

    The `idle_timeout` without records counts from when the group assigned this replay its
    partitions: the join alone can take longer (seconds on Kafka, more after a replay that
    went away without leaving), and a replay that ended before it said "nothing" to replay.
    No assignment within `join_timeout` raises `NewsflowError`."""
    started_ms = int(time.time() * 1000)
    counts: dict[str, int] = {}
    joined_by = time.monotonic() + join_timeout
    last: float | None = None  # when records last came, once the group assigned partitions
    while last is None or time.monotonic() - last < idle_timeout:
        batch = consumer.poll(timeout_ms=500)
        if last is None:
            if consumer.assignment():
                last = time.monotonic()
            elif time.monotonic() > joined_by:
                topics = ", ".join(sorted(consumer.subscription() or ()))
                raise NewsflowError(
                    f"no partition of {topics} was assigned to the replay within "
                    f"{join_timeout:.0f} s, nothing replayed: another replay of the same "
                    "source and reasons may hold them, or the group still waits for a member "
                    "that went away (--join-timeout)"
                )
        if not batch:
            continue
        last = time.monotonic()
        futures, offsets = [], {}
        for tp, records in batch.items():
            for record in records:
                if record.timestamp >= started_ms:
                    consumer.seek(tp, record.offset)  # newer than this run: leave it for the next
                    consumer.pause(tp)
                    break
                offsets[tp] = OffsetAndMetadata(record.offset + 1, None, -1)
                event = _event(record.value)
                if event is None:  # a tombstone, or a record newsflow did not write
                    counts["unreadable"] = counts.get("unreadable", 0) + 1
                    continue
                stage = event.get("stage", "")
                if (reasons and event.get("reason") not in reasons) or stage not in targets:
                    counts["skipped"] = counts.get("skipped", 0) + 1
                    continue
                if event.get("original_truncated"):  # only its beginning: not re-sent
                    counts["cut"] = counts.get("cut", 0) + 1
                    continue
                counts[stage] = counts.get(stage, 0) + 1
                if not dry_run:
                    futures.append(
                        producer.send(targets[stage], key=record.key, value=original_bytes(event))
                    )
        producer.flush()
        for future in futures:
            future.get(timeout=0)
        if offsets and not dry_run:
            consumer.commit(offsets)
    return counts


def _event(value: bytes | None) -> dict[str, Any] | None:
    """The rejection event a record holds, or None when it holds none (it raised, and every
    later replay of the topic stopped at the same record)."""
    try:
        event = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None
