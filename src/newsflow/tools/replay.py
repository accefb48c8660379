"""`newsflow replay`: re-publish the originals of rejected / dead-lettered messages after a fix.

A rejection from ingest holds the raw message: it goes back to the raw topic. A dead letter
from extract holds the ingested event: it goes back to the ingested topic. The replay group's
committed offsets make a second run continue where the first stopped.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson

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
    import time

    counts: dict[str, int] = {}
    last = time.monotonic()
    while time.monotonic() - last < idle_timeout:
        batch = consumer.poll(timeout_ms=500)
        if not batch:
            continue
        last = time.monotonic()
        futures = []
        for records in batch.values():
            for record in records:
                event = orjson.loads(record.value)
                stage = event.get("stage", "")
                if reasons and event.get("reason") not in reasons or stage not in targets:
                    counts["skipped"] = counts.get("skipped", 0) + 1
                    continue
                counts[stage] = counts.get(stage, 0) + 1
                if not dry_run:
                    futures.append(producer.send(targets[stage], key=record.key,
                                                 value=original_bytes(event)))  # fmt: skip
        producer.flush()
        for future in futures:
            future.get(timeout=0)
        if not dry_run:
            consumer.commit()
    return counts
