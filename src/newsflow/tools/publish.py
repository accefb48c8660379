"""`newsflow publish`: send files (same inputs as `process`) to the raw topic."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsflow.batch.inputs import read_inputs

DEFAULT_BASE_URL = "https://newsflow.example/files/"


def publish(
    producer: Any,
    topic: str,
    paths: Iterable[Path],
    *,
    base_url: str = DEFAULT_BASE_URL,
    max_bytes: int,
) -> int:
    """Produce every input as a raw message and wait for all acks; returns the count sent.

    Unreadable files are still sent as they are, so the ingest service records their rejection.
    """
    futures = []
    for item in read_inputs(paths, base_url=base_url, max_bytes=max_bytes):
        futures.append(producer.send(topic, value=item.raw))
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    return len(futures)
