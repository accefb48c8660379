"""What the extract service does with one `articles.ingested` record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from newsflow import events
from newsflow import rejection as R
from newsflow.contracts.codec import ContractError, EventKind, decode, encode
from newsflow.errors import StoreUnavailable
from newsflow.model import Article, Origin
from newsflow.pipeline import DecideSettings, Outcome, recrawl_outcome, run_decide
from newsflow.rejection import Rejection
from newsflow.sandbox import Extracted, Sandbox, SandboxLimits
from newsflow.service.metrics import Metrics
from newsflow.service.processor import Output
from newsflow.stages import recrawl
from newsflow.stages.ingest import format_timestamp
from newsflow.stages.recrawl import Recrawl
from newsflow.store.base import DedupStore
from newsflow_extract.ahead import DEPTH, ExtractionQueue, Position, position

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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.topics = topics  # outcome kind → topic name
        self.store = store
        self.sandbox = sandbox
        self.decide = decide
        self.metrics = metrics
        self.clock = clock
        self.ahead = ExtractionQueue(sandbox)
        # Per record announced and not processed yet (popped at its turn):
        self._decoded: dict[Position, Article] = {}  # decoded when announced: decoded once
        self._recrawls: dict[Position, Recrawl | None] = {}  # asked for the whole batch
        self._repeats: set[Position] = set()  # repeating the body of an earlier record
        self._bodies: dict[Position, str] = {}  # body hashes

    poll_ahead = DEPTH + 1  # the next batch is announced while the extractor has this much

    def lookahead(self, records: list[Any], *, continuing: bool = False) -> None:
        """The batch about to be processed, in order: while one record is decided, the next
        one that needs extracting is already being extracted (see `ahead`), and whether each
        record is a re-crawl is asked for the whole batch in one store call. `continuing`:
        the batch follows the remaining records of the one before, as if they were one."""
        if continuing:
            self.ahead.extend_batch(records)
        else:
            self.ahead.start_batch(records)
            self._decoded, self._recrawls, self._repeats, self._bodies = {}, {}, set(), {}
        undecided = set(self._bodies.values())
        first: dict[str, tuple[Position, Article]] = {}  # per body, its first record here
        for record in records:
            try:
                article = _article_of(record)
            except ContractError:
                continue
            at = position(record)
            self._decoded[at] = article
            self._bodies[at] = article.body_hash
            if article.body_hash in first or article.body_hash in undecided:
                self._repeats.add(at)
            else:
                first[article.body_hash] = (at, article)
        # A later record with the same body as an earlier one still to be decided asks again
        # at its turn: by then the earlier one may have been decided, making it a re-crawl.
        articles = [article for _, article in first.values()]
        try:
            found = recrawl.recognize_many(articles, self.store, now=self.clock().timestamp())
        except StoreUnavailable:
            return  # each record asks at its turn, where a store outage rewinds the batch
        self._recrawls.update(
            (at, answer) for (at, _), answer in zip(first.values(), found, strict=True)
        )

    def process(self, record: Any) -> list[Output]:
        try:
            return self._process(record)
        finally:
            self._forget(position(record))

    def _process(self, record: Any) -> list[Output]:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        article = self.ahead.sent_ahead(record)
        if article is None:
            try:
                article = self._decoded.get(position(record)) or _article_of(record)
            except ContractError as exc:
                self._send_next(record)
                return [self._dead(record, origin, Rejection(R.BAD_EVENT, str(exc)[:1000]), 1)]
            shortcut = self._recrawl(record, article)
            if shortcut is not None:
                self._send_next(record)
                return [self._output(shortcut, article)]  # a re-crawl: no extraction needed
            self.ahead.send(record, article)
        self._send_next(record)
        extracted = self.ahead.result(record)
        self._observe(extracted)
        outcome = run_decide(
            article,
            extracted.result,
            store=self.store,
            now=self.clock(),
            origin=origin,
            original=record.value,
            settings=self.decide,
            attempts=extracted.attempts,
        )
        if outcome.kind == "dlq":
            log.warning(
                "dead-lettered: %s",
                outcome.event["reason"],
                extra={**origin.as_dict(), "article_id": article.article_id},
            )
        return [self._output(outcome, article)]

    def _forget(self, at: Position) -> None:
        """What was kept for a record until its turn (a retry asks the store again)."""
        self._decoded.pop(at, None)
        self._recrawls.pop(at, None)
        self._repeats.discard(at)
        self._bodies.pop(at, None)

    def _send_next(self, record: Any) -> None:
        self.ahead.send_next(record, self._needs_extraction)

    def _needs_extraction(self, record: Any) -> Article | None:
        """A later record's article, or None when it will not need extracting: a bad event, a
        re-crawl of a body already decided, or a body that an earlier record of the batch
        (the current one, or one on its way to the extractor) will have decided by this
        record's turn, making it a re-crawl then. Such a record asks again at its turn, and
        is extracted then if the earlier one's extraction failed."""
        try:
            article = self._decoded.get(position(record)) or _article_of(record)
        except ContractError:
            return None
        repeat = position(record) in self._repeats  # of the current record, or an earlier one
        if repeat or self._recrawl(record, article, keep=True):
            self._decoded[position(record)] = article
            return None
        return article

    def _recrawl(self, record: Any, article: Article, *, keep: bool = False) -> Outcome | None:
        """The record's re-crawl outcome, or None: from the batch's answer when there is one,
        else asked now; looking ahead (`keep`), the answer is kept for the record's turn."""
        at = position(record)
        if at in self._recrawls:
            found = self._recrawls[at] if keep else self._recrawls.pop(at)
        else:
            found = recrawl.recognize(article, self.store, now=self.clock().timestamp())
            if keep:
                self._recrawls[at] = found
        return None if found is None else recrawl_outcome(article, found, now=self.clock())

    def _observe(self, extracted: Extracted) -> None:
        """The extraction's own time (a timeout counts as the limit, a crash not at all), and
        the extractor processes it cost: each that died on the page, one stopped at the limit."""
        reason = extracted.result.reason if isinstance(extracted.result, Rejection) else None
        restarts, service = self.metrics.extractor_restarts, self.metrics.service
        died = extracted.attempts if reason == R.EXTRACTOR_CRASHED else extracted.attempts - 1
        if died:
            restarts.labels(service, "died").inc(died)
        if reason == R.EXTRACTION_TIMEOUT:
            restarts.labels(service, "timed_out").inc()
        if reason == R.EXTRACTOR_CRASHED:
            return
        limit = self.sandbox.limits.time_limit
        seconds = limit if reason == R.EXTRACTION_TIMEOUT else extracted.seconds
        self.metrics.extraction_seconds.labels(self.metrics.service).observe(seconds)

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = R.RETRIES_EXHAUSTED
    ) -> Output:
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        rejection = Rejection(reason, detail)
        return self._dead(record, origin, rejection, attempts, _article_or_none(record))

    def healthy(self) -> bool:
        return self.store.ping()

    def context(self, record: Any) -> dict[str, str]:
        article = _article_or_none(record)
        return {"article_id": article.article_id} if article else {}

    def close(self) -> None:
        self.sandbox.close()
        self.store.close()

    def _dead(
        self,
        record: Any,
        origin: Origin,
        rejection: Rejection,
        attempts: int,
        article: Article | None = None,
    ) -> Output:
        event = events.rejection_event(
            rejection,
            stage="extract",
            original=record.value or b"",  # (a tombstone has no value)
            origin=origin,
            rejected_at=format_timestamp(self.clock()),
            article=article,
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
        now = self.clock()
        started = article.fetched_at or article.ingested_at
        latency = (now - datetime.fromisoformat(started)).total_seconds()
        since_ingested = (now - datetime.fromisoformat(article.ingested_at)).total_seconds()
        return Output(
            topic=self.topics[outcome.kind],
            key=outcome.key,
            value=encode(_KINDS[outcome.kind], outcome.event),
            outcome=outcome.kind,
            reason=outcome.event.get("reason") if outcome.kind == "dlq" else None,
            stage="extract" if outcome.kind == "dlq" else None,
            latency=max(0.0, latency),
            since_ingested=max(0.0, since_ingested),
        )


def _article_or_none(record: Any) -> Article | None:
    try:
        return _article_of(record)
    except ContractError:
        return None


def _article_of(record: Any) -> Article:
    if record.value is None:
        raise ContractError("the record has no value (a tombstone)")
    return events.article_from_event(decode("ingested", record.value))


def build(config: Any, metrics: Metrics) -> ExtractProcessor:
    """The worker-side factory: store, sandbox and settings from the service configuration."""
    from newsflow.stage_settings import stage_limits
    from newsflow.store.base import open_store

    values = config.values
    metrics.prime(outcomes=("clean", "duplicate", "dlq"), stage="extract")
    for cause in ("died", "timed_out"):
        metrics.extractor_restarts.labels(metrics.service, cause)
    sandbox_limits, decide = stage_limits(values)
    store_url = values["store_url"] or "newsflow-extract.sqlite"
    topics = {
        "clean": config.topics.clean,
        "duplicate": config.topics.duplicates,
        "dlq": config.topics.dlq,
    }
    store = open_store(
        store_url, prefix=values["store_prefix"], line_filter_mib=values["line_filter_mib"]
    )
    try:  # credentials or key access it refuses are a configuration error
        store.reach()
    except StoreUnavailable as exc:  # not now: the loop waits for it, /readyz says 503
        log.warning("store unavailable at start-up: %s", exc)
    sandbox = Sandbox(sandbox_limits, max_attempts=config.max_attempts)
    sandbox.wait_ready()  # an extractor that cannot start is a configuration error
    return ExtractProcessor(
        topics=topics,
        store=store,
        sandbox=sandbox,
        decide=decide,
        metrics=metrics,
    )


__all__ = ["ExtractProcessor", "SandboxLimits", "build"]
