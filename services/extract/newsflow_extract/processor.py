"""What the extract service does with one `articles.ingested` record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsflow import events
from newsflow import rejection as R
from newsflow.contracts.codec import ContractError, EventKind, decode, encode
from newsflow.model import Article, Extraction, Origin
from newsflow.pipeline import DecideSettings, Outcome, run_decide, run_recrawl
from newsflow.rejection import Rejection
from newsflow.sandbox import Sandbox, SandboxLimits
from newsflow.service.loop import Output
from newsflow.service.metrics import Metrics
from newsflow.stages.ingest import format_timestamp
from newsflow.store.base import DedupStore

log = logging.getLogger(__name__)
_KINDS: dict[str, EventKind] = {"clean": "clean", "duplicate": "duplicate", "dlq": "rejection"}


class ExtractProcessor:
    """Decode → extract in a sandbox → fingerprint and decide against the shared store."""

    def __init__(
        self,
        *,
        topics: dict[str, str],
        store: DedupStore,
        sandbox: Sandbox,
        decide: DecideSettings,
        metrics: Metrics,
        max_attempts: int = 3,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.max_attempts = max_attempts
        self.topics = topics  # outcome kind → topic name
        self.store = store
        self.sandbox = sandbox
        self.decide = decide
        self.metrics = metrics
        self.clock = clock

    def process(self, record: Any) -> list[Output]:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        try:
            article = events.article_from_event(decode("ingested", record.value))
        except ContractError as exc:
            return [self._dead(record, origin, Rejection(R.BAD_EVENT, str(exc)[:1000]), 1)]
        shortcut = run_recrawl(article, store=self.store, now=self.clock(), settings=self.decide)
        if shortcut is not None:
            return [self._output(shortcut, article)]  # a re-crawl: no extraction needed
        extracted, attempts = self._extract(article, origin)
        outcome = run_decide(
            article,
            extracted,
            store=self.store,
            now=self.clock(),
            origin=origin,
            original=record.value,
            settings=self.decide,
            attempts=attempts,
        )
        if outcome.kind == "dlq":
            log.warning(
                "dead-lettered: %s",
                outcome.event["reason"],
                extra={**origin.as_dict(), "article_id": article.article_id},
            )
        return [self._output(outcome, article)]

    def _extract(self, article: Article, origin: Origin) -> tuple[Extraction | Rejection, int]:
        """Extract in the sandbox; an extractor that died is given `max_attempts` tries in all
        (it may have been killed for reasons of its own), a timeout or a failure only one."""
        for attempt in range(1, self.max_attempts + 1):
            started = time.perf_counter()
            result = self.sandbox.run(article)
            self.metrics.extraction_seconds.labels(self.metrics.service).observe(
                time.perf_counter() - started
            )
            if not (isinstance(result, Rejection) and result.reason == R.EXTRACTOR_CRASHED):
                return result, attempt
            log.warning(
                "extractor died (attempt %d of %d)",
                attempt,
                self.max_attempts,
                extra={**origin.as_dict(), "article_id": article.article_id},
            )
        return result, self.max_attempts

    def dead_letter(self, record: Any, detail: str, attempts: int) -> Output:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        return self._dead(record, origin, Rejection(R.RETRIES_EXHAUSTED, detail), attempts)

    def healthy(self) -> bool:
        return self.store.ping()

    def close(self) -> None:
        self.sandbox.close()
        self.store.close()

    def _dead(self, record: Any, origin: Origin, rejection: Rejection, attempts: int) -> Output:
        event = events.rejection_event(
            rejection,
            stage="extract",
            original=record.value,
            origin=origin,
            rejected_at=format_timestamp(self.clock()),
            attempts=attempts,
        )
        return Output(
            self.topics["dlq"],
            record.key,
            encode("rejection", event),
            "dlq",
            reason=rejection.reason,
            stage="extract",
        )

    def _output(self, outcome: Outcome, article: Article) -> Output:
        started = article.fetched_at or article.ingested_at
        latency = (self.clock() - datetime.fromisoformat(started)).total_seconds()
        return Output(
            topic=self.topics[outcome.kind],
            key=outcome.key,
            value=encode(_KINDS[outcome.kind], outcome.event),
            outcome=outcome.kind,
            reason=outcome.event.get("reason") if outcome.kind == "dlq" else None,
            stage="extract" if outcome.kind == "dlq" else None,
            latency=max(0.0, latency),
        )


def build(config: Any, metrics: Metrics) -> ExtractProcessor:
    """The worker-side factory: store, sandbox and settings from the service configuration."""
    from newsflow.cli import stage_limits
    from newsflow.store.base import open_store

    values = config.values
    metrics.prime(outcomes=("clean", "duplicate", "dlq"), stage="extract")
    _, sandbox_limits, decide = stage_limits(values)
    store_url = values["store_url"] or "newsflow-extract.sqlite"
    topics = {
        "clean": config.topics.clean,
        "duplicate": config.topics.duplicates,
        "dlq": config.topics.dlq,
    }
    return ExtractProcessor(
        topics=topics,
        store=open_store(store_url, prefix=values["store_prefix"]),
        sandbox=Sandbox(sandbox_limits),
        decide=decide,
        metrics=metrics,
        max_attempts=config.max_attempts,
    )


__all__ = ["ExtractProcessor", "SandboxLimits", "build"]
