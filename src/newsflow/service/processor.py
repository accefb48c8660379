"""What a service does with a consumed record, and what the consume loop keeps of a batch.

`Processor` is the protocol a service's processor implements; it returns `Output`s. The loop
holds the records of one poll as a `Batch`, with the outputs sent for them (`Sent`), until the
batch's offsets are committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from newsflow.rejection import RETRIES_EXHAUSTED


@dataclass(frozen=True, slots=True)
class Output:
    """One message to produce, and the outcome it records."""

    topic: str
    key: bytes | None
    value: bytes
    outcome: str
    reason: str | None = None
    stage: str | None = None
    latency: float | None = None  # seconds since the article's fetched_at (else ingested_at)
    since_ingested: float | None = None  # seconds since its ingested_at: newsflow's own time


class Processor(Protocol):
    """What a service does with one consumed record (the pure stages behind it)."""

    poll_ahead: int
    """Records before a batch's end at which the next batch is polled and announced (0: only
    once the batch is committed)."""

    def lookahead(self, records: list[Any], *, continuing: bool = False) -> None:
        """The records about to be processed, in order (a processor may start on a record's
        slow part before its turn; it must still answer `process` calls in any order).
        `continuing`: they follow the records announced before, some not processed yet."""
        ...

    def process(self, record: Any) -> list[Output]:
        """The record's outputs; raise a `retriable` error to have the batch rewound."""
        ...

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = RETRIES_EXHAUSTED
    ) -> Output:
        """The output for a record that kept failing (or whose outcome could not be sent)."""
        ...

    def healthy(self) -> bool:
        """True when the processor's dependencies (the store) answer."""
        ...

    def context(self, record: Any) -> dict[str, str]:
        """What a log line about the record names it by, beside its topic, partition and
        offset: its article_id, when the record says it."""
        ...


@dataclass(frozen=True, slots=True)
class Sent:
    """An output on its way: the record it is the outcome of, and the producer's future."""

    output: Output
    future: Any
    record: Any


@dataclass
class Batch:
    """The records of one poll, in order, and how far the loop got with them."""

    records: list[Any]
    announced: bool = False  # the processor was told of them (`lookahead`)
    processed: int = 0  # records processed, from the first
    sent: list[Sent] = field(default_factory=list)
    closed: bool = False  # committed, or left to the partitions' next owner

    @property
    def size(self) -> int:
        return len(self.records)

    def first_offsets(self) -> dict[TopicPartition, int]:
        first: dict[TopicPartition, int] = {}
        for record in self.records:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        return first

    def next_offsets(self) -> dict[TopicPartition, OffsetAndMetadata]:
        """The offsets to commit: past the last processed record of each partition."""
        last: dict[TopicPartition, int] = {}
        for record in self.records[: self.processed]:
            tp = TopicPartition(record.topic, record.partition)
            last[tp] = max(last.get(tp, record.offset), record.offset)
        return {tp: OffsetAndMetadata(offset + 1, None, -1) for tp, offset in last.items()}
