"""`newsflow publish`: send files (same inputs as `process`) to the raw topic."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsflow.batch.inputs import read_inputs
from newsflow.model import Origin
from newsflow.rejection import Rejection

DEFAULT_BASE_URL = "https://newsflow.example/files/"


@dataclass
class Published:
    """What a publish did: messages sent, inputs it could not send, WARC records skipped."""

    sent: int = 0
    unsent: list[tuple[Origin, Rejection]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def publish(
    producer: Any,
    topic: str,
    paths: Iterable[Path],
    *,
    base_url: str = DEFAULT_BASE_URL,
    max_bytes: int,
) -> Published:
    """Produce every input as a raw message and wait for all acks.

    A file that cannot be read as text is still sent as it is, so the ingest service records
    its rejection. Any other input rejected on reading (a file or a WARC record over the size
    limit, a WARC record or file that cannot be read) is not sent: it comes back in `unsent`,
    with its origin and its rejection, for the caller to report.
    """
    result = Published()
    futures = []
    for item in read_inputs(paths, base_url=base_url, max_bytes=max_bytes, skipped=result.skipped):
        if item.rejection is not None and not (item.local_file and item.raw):
            result.unsent.append((item.origin, item.rejection))
            continue
        futures.append(producer.send(topic, value=item.raw))
    producer.flush()
    for future in futures:
        future.get(timeout=0)
    result.sent = len(futures)
    return result
