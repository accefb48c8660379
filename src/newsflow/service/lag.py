"""The log-end offsets of a worker's partitions, for the consumer lag gauge (`EndOffsets`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

log = logging.getLogger(__name__)
LAG_REFRESH = 1.0  # seconds between log-end offset queries for the lag metric


class EndOffsets(threading.Thread):
    """The log-end offsets of the worker's partitions, asked for every `LAG_REFRESH` seconds
    by a client of its own, on this thread.

    On the loop's thread, with the loop's consumer, the request queued behind that consumer's
    own fetch on the same connection and waited for it: up to `fetch_max_wait_ms` (500 ms by
    default) once a second, in which the loop decided nothing.
    """

    def __init__(self, make_client: Callable[[], KafkaConsumer], stop: threading.Event) -> None:
        super().__init__(daemon=True, name="end-offsets")
        self.make_client = make_client
        self.stop = stop
        self.latest: dict[TopicPartition, int] = {}  # replaced whole: read from any thread
        self._wanted: frozenset[TopicPartition] = frozenset()

    def want(self, partitions: Any) -> None:
        """The partitions to ask for from now on (the consumer's assignment)."""
        self._wanted = frozenset(partitions)

    def run(self) -> None:
        client: KafkaConsumer | None = None
        try:
            while not self.stop.wait(LAG_REFRESH):
                wanted = self._wanted
                if not wanted:
                    continue
                try:
                    client = client or self.make_client()
                    self.latest = client.end_offsets(list(wanted))
                except Exception as exc:  # the broker may be away; the lag then waits
                    log.debug("end offsets unavailable: %s", exc)
        finally:
            if client is not None:
                client.close()
