"""What the ingest service does with one `articles.raw` record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsflow import events
from newsflow.contracts.codec import encode
from newsflow.model import Origin
from newsflow.pipeline import run_ingest
from newsflow.rejection import RETRIES_EXHAUSTED, Rejection
from newsflow.service.metrics import Metrics
from newsflow.service.processor import Output
from newsflow.stages.ingest import IngestLimits, format_timestamp, peek_provenance


class IngestProcessor:
    """Validate a raw message: forward it to `ingested` (key: canonical URL) or reject it."""

    poll_ahead = 0  # nothing works ahead: the next batch is polled after the commit

    def __init__(
        self,
        *,
        ingested_topic: str,
        rejected_topic: str,
        limits: IngestLimits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ingested_topic = ingested_topic
        self.rejected_topic = rejected_topic
        self.limits = limits
        self.clock = clock

    def lookahead(self, records: list[Any], *, continuing: bool = False) -> None:
        """Nothing to start ahead: validation is quick."""

    def process(self, record: Any) -> list[Output]:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        outcome = run_ingest(
            record.value or b"", origin=origin, now=self.clock(), limits=self.limits
        )
        if outcome.kind == "rejected":
            value = encode("rejection", outcome.event)
            return [
                Output(
                    self.rejected_topic,
                    record.key,
                    value,
                    "rejected",
                    reason=outcome.event["reason"],
                    stage="ingest",
                )
            ]
        return [
            Output(self.ingested_topic, outcome.key, encode("ingested", outcome.event), "ingested")
        ]

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = RETRIES_EXHAUSTED
    ) -> Output:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        source_id, url = peek_provenance(record.value or b"")
        event = events.rejection_event(
            Rejection(reason, detail),
            stage="ingest",
            original=record.value or b"",
            origin=origin,
            rejected_at=format_timestamp(self.clock()),
            source_id=source_id,
            url=url,
            attempts=attempts,
        )
        return Output(
            self.rejected_topic,
            record.key,
            encode("rejection", event),
            "rejected",
            reason=reason,
            stage="ingest",
        )

    def healthy(self) -> bool:
        return True

    def context(self, record: Any) -> dict[str, str]:
        """Nothing: a raw message's article_id is known only once it is valid."""
        return {}

    def close(self) -> None:
        pass


def build(config: Any, metrics: Metrics) -> IngestProcessor:
    """The worker-side factory."""
    metrics.prime(outcomes=("ingested", "rejected"), stage="ingest")
    return IngestProcessor(
        ingested_topic=config.topics.ingested,
        rejected_topic=config.topics.rejected,
        limits=IngestLimits(max_bytes=config.values["max_message_bytes"]),
    )
