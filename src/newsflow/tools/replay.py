"""`newsflow replay`: re-publish the originals of rejected / dead-lettered messages after a fix.

A rejection from ingest holds the raw message: it goes back to the raw topic. A dead letter
from extract holds the ingested event: it goes back to the ingested topic. Only records that
existed when the replay started are replayed (a message rejected again is not replayed in a
loop), and the replay group's committed offsets make the next run start after them.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import orjson
from kafka.structs import OffsetAndMetadata

from newsflow.events import original_bytes


def replay(
    consumer: Any,
    producer: Any,
    *,
    targets: dict[str, str],
    reasons: Collection[str] | None,
    dry_run: bool,
    idle_timeout: float,
) -> dict[str, int]:
    """Re-publish every matching record's original; returns counts by stage (and skipped)."""
    started_ms = int(time.time() * 1000)
    counts: dict[str, int] = {}
    last = time.monotonic()
    while time.monotonic() - last < idle_timeout:
        batch = consumer.poll(timeout_ms=500)
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
                event = orjson.loads(record.value)
                stage = event.get("stage", "")
                if (reasons and event.get("reason") not in reasons) or stage not in targets:
                    counts["skipped"] = counts.get("skipped", 0) + 1
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
