"""The consume → process → produce → commit loop of one worker (at-least-once).

A batch is polled, every record is processed into outputs, all outputs are sent and
acknowledged (acks=all), and only then are the batch's offsets committed. A worker killed at
any instant has committed nothing it has not delivered. A processor that works ahead (the
extract service's extractor) has the next batch polled a few records before this one ends, so
it has work across the commit; a rebalance during that poll commits what was processed and
leaves the rest of the batch to the partitions' next owner. A retriable failure (store down,
broker hiccup) rewinds the batch and backs off without committing; an unexpected error on
one record is retried a bounded number of times, then that record is dead-lettered so its
partition keeps moving. The loop never decides outcomes itself: the `Processor` does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, MessageSizeTooLargeError

from newsflow.errors import ConfigError, NewsflowError
from newsflow.rejection import TOO_LARGE
from newsflow.service.lag import EndOffsets
from newsflow.service.metrics import Metrics
from newsflow.service.processor import Batch, Output, Processor, Sent

log = logging.getLogger(__name__)
FLUSH_TIMEOUT = 30.0  # seconds to wait for the batch's acks before rewinding it
COMMIT_TIMEOUT_MS = 30_000


@dataclass
class WorkerStatus:
    """What the supervisor reads: set from this worker, read from the HTTP thread/process."""

    set_ready: Callable[[bool], None]


def is_retriable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retriable", False))


class ConsumeLoop:
    """Run `processor` over `topic` in `consumer`'s group until `stop` is set."""

    def __init__(
        self,
        *,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        processor: Processor,
        topic: str,
        metrics: Metrics,
        stop: threading.Event,
        status: WorkerStatus,
        max_attempts: int = 3,
        health_interval: float = 5.0,
        max_backoff: float = 10.0,
        offsets_client: Callable[[], KafkaConsumer] | None = None,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.processor = processor
        self.topic = topic
        self.metrics = metrics
        self.stop = stop
        self.status = status
        self.max_attempts = max_attempts
        self.health_interval = health_interval
        self.max_backoff = max_backoff
        self._joined = False
        self._healthy = True
        self._checked_at = 0.0
        self._failures = 0
        self._end_offsets = EndOffsets(offsets_client, stop) if offsets_client else None
        self._upcoming: Batch | None = None  # polled ahead, announced, not handled yet
        self._counted_to: dict[tuple[str, int], int] = {}  # per partition, the next offset
        self._polling_ahead: Batch | None = None  # the batch whose poll ahead is under way

    def run(self) -> None:
        """Consume until stopped; then commit nothing pending and leave the group."""
        self.consumer.subscribe([self.topic], listener=_Listener(self))
        health = threading.Thread(target=self._watch_health, daemon=True, name="health")
        health.start()
        if self._end_offsets is not None:
            self._end_offsets.start()
        try:
            while not self.stop.is_set():
                batch, self._upcoming = self._upcoming or self._poll(timeout_ms=500), None
                if batch is not None:
                    self._handle_or_rewind(batch)
        finally:
            if self._upcoming is not None:  # polled ahead, never handled: polled again later
                self._leave_flight(self._upcoming)
            self.status.set_ready(False)
            self.producer.flush(timeout=10)
            self.consumer.close(autocommit=False)  # leaves the group: partitions move at once

    def _poll(self, *, timeout_ms: int) -> Batch | None:
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        self._report_lag()
        records = [record for records in polled.values() for record in records]
        if not records:
            return None
        # In flight from its poll, also when polled ahead, until handled or dropped.
        self.metrics.in_flight.labels(self.metrics.service).inc(len(records))
        return Batch(records)

    def _leave_flight(self, batch: Batch) -> None:
        self.metrics.in_flight.labels(self.metrics.service).dec(batch.size)

    def _handle_or_rewind(self, batch: Batch) -> None:
        self.metrics.consumed.labels(self.metrics.service, self.topic).inc(self._first_seen(batch))
        started = time.monotonic()
        try:
            self._handle(batch)
            self._failures = 0
        except Exception as exc:
            if not is_retriable(exc):
                raise
            self._rewind(batch, exc)
        finally:
            self._leave_flight(batch)
        elapsed = time.monotonic() - started
        limit = self.consumer.config["max_poll_interval_ms"] / 1000
        if elapsed > limit / 2:
            log.warning(
                "batch took %.1f s, over half of max_poll_interval (%.0f s); "
                "lower max_poll_records",
                elapsed,
                limit,
            )

    def _first_seen(self, batch: Batch) -> int:
        """The batch's records this worker has not consumed before: a batch handled again
        after a rewind (a store or broker away) was counted at every try, so the consumed
        rate showed throughput while nothing got through."""
        fresh = 0
        counted_to = self._counted_to
        for record in batch.records:
            partition = (record.topic, record.partition)
            if record.offset >= counted_to.get(partition, 0):
                fresh += 1
                counted_to[partition] = record.offset + 1
        return fresh

    def _handle(self, batch: Batch) -> None:
        if not batch.announced:
            self.processor.lookahead(batch.records)
        ahead = self.processor.poll_ahead
        for n, record in enumerate(batch.records):
            if ahead and n == max(0, batch.size - ahead):
                self._poll_ahead(batch)
                if batch.closed:
                    return  # partitions were revoked in that poll: what was done is committed
            for output in self._process(record):
                batch.sent.append(self._send(record, output))
            batch.processed = n + 1
            if self.stop.is_set() and batch.processed < batch.size:
                # SIGTERM: the records done are committed, the rest left to the group. A whole
                # batch (20 records, up to 5 s each) outlasted the shutdown timeout (30 s),
                # and the worker was killed with all of it redone.
                log.info(
                    "stopping: %d of the batch's %d records done, the rest left to the group",
                    batch.processed,
                    batch.size,
                )
                break
        self._commit(batch)

    def _send(self, record: Any, output: Output) -> Sent:
        """Send an output. One larger than a produce request would fail the same way at every
        redelivery, stopping its partition: its record is dead-lettered `too_large` instead
        (a dead letter's original is cut to fit: `events.ORIGINAL_LIMIT`)."""
        try:
            future = self.producer.send(output.topic, key=output.key, value=output.value)
        except MessageSizeTooLargeError as exc:
            return self._send_dead_letter(record, exc)
        return Sent(output, future, record)

    def _send_dead_letter(self, record: Any, exc: Exception) -> Sent:
        log.error("an outcome too large to publish: dead-lettered", extra=self._where(record))
        detail = f"its outcome could not be published: {exc}"[:1000]
        dead = self.processor.dead_letter(record, detail, 1, reason=TOO_LARGE)
        return Sent(dead, self.producer.send(dead.topic, key=dead.key, value=dead.value), record)

    def _poll_ahead(self, batch: Batch) -> None:
        """Poll the next batch before this one ends, and announce it to the processor."""
        self._polling_ahead = batch  # a rebalance inside this poll commits it (the listener)
        try:
            upcoming = self._poll(timeout_ms=0)
        finally:
            self._polling_ahead = None
        if upcoming is not None:
            self.processor.lookahead(upcoming.records, continuing=not batch.closed)
            upcoming.announced = True
            self._upcoming = upcoming

    def _commit(self, batch: Batch) -> None:
        """Deliver the outputs of the batch's processed records, then commit their offsets."""
        batch.closed = True
        self._deliver(batch)
        offsets = batch.next_offsets()
        try:
            if offsets:
                self.consumer.commit(offsets, timeout_ms=COMMIT_TIMEOUT_MS)
                self.metrics.commits.labels(self.metrics.service).inc()
        except CommitFailedError as exc:
            # The group moved on (we took too long): another member redelivers the batch and,
            # decisions being idempotent, produces the same outcomes again.
            log.warning("offset commit refused after a rebalance: %s", exc)
        self._record_outputs(batch)

    def _deliver(self, batch: Batch) -> None:
        """Wait for every output's acknowledgement. A delivery error (a KafkaTimeoutError is
        retriable: the batch rewinds) means nothing is committed; except an output the broker
        refuses as too large (its `message.max.bytes`), whose record is dead-lettered instead,
        as one the producer refuses is."""
        self.producer.flush(timeout=FLUSH_TIMEOUT)
        refused = False
        for n, sent in enumerate(batch.sent):
            try:
                sent.future.get(timeout=0)
            except MessageSizeTooLargeError as exc:
                batch.sent[n] = self._send_dead_letter(sent.record, exc)
                refused = True
        if refused:  # the dead letters, refused in turn, stop the worker: that needs an operator
            self.producer.flush(timeout=FLUSH_TIMEOUT)
            for sent in batch.sent:
                sent.future.get(timeout=0)

    def _commit_before_revocation(self) -> None:
        """Partitions are being revoked during a poll ahead: commit what the batch processed.

        Its other records go to the partitions' next owner, from the committed offsets; a
        partition that stays with this worker keeps its position, so it is moved back to them
        here (back to the batch's start if its outputs were not acknowledged). The listener
        runs on the consumer's IO thread, where kafka-python refuses a blocking commit: the
        commit is sent without waiting. Should the broker refuse it, the processed records are
        redelivered, with the same outcomes (decisions are idempotent)."""
        batch = self._polling_ahead
        if batch is None:
            return
        batch.closed = True
        try:
            self._deliver(batch)
        except Exception as exc:
            log.warning("batch not acknowledged before a rebalance, redelivered: %s", exc)
            resume = batch.first_offsets()
        else:
            if offsets := batch.next_offsets():
                self.consumer.commit_async(offsets, callback=self._committed_async)
            self._record_outputs(batch)
            resume = Batch(batch.records[batch.processed :]).first_offsets()
        assigned = self.consumer.assignment()
        for tp, offset in resume.items():
            if tp in assigned:
                self.consumer.seek(tp, offset)

    def _committed_async(self, offsets: Any, response: Any) -> None:
        if isinstance(response, Exception):
            log.warning("offset commit at a rebalance refused, redelivered: %s", response)
        else:
            self.metrics.commits.labels(self.metrics.service).inc()

    def _record_outputs(self, batch: Batch) -> None:
        for output in (sent.output for sent in batch.sent):
            self._record(output)

    def _process(self, record: Any) -> list[Output]:
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self.processor.process(record)
            except Exception as exc:
                if is_retriable(exc) or isinstance(exc, ConfigError):
                    raise  # a ConfigError (a store refusing the user) stops the worker
                if attempt < self.max_attempts:  # the last failure dead-letters it instead
                    self.metrics.retries.labels(self.metrics.service).inc()
                log.exception(
                    "processing failed (attempt %d of %d)",
                    attempt,
                    self.max_attempts,
                    extra=self._where(record),
                )
                detail = f"{type(exc).__name__}: {exc}"
        return [self.processor.dead_letter(record, detail[:1000], self.max_attempts)]

    def _where(self, record: Any) -> dict[str, Any]:
        """A log line's context for a record: where it is, and the article it is."""
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        return {**where, **self.processor.context(record)}

    def _rewind(self, batch: Batch, exc: BaseException) -> None:
        """Seek back to the batch start and wait, keeping group membership, until healthy. A
        batch polled ahead is dropped, and polled again after this one."""
        self._failures += 1
        if isinstance(exc, NewsflowError):
            self.metrics.store_errors.labels(self.metrics.service).inc()
        delay = min(self.max_backoff, 0.5 * 2 ** min(self._failures, 5))
        log.warning("retriable failure, batch rewound; retrying in %.1f s: %s", delay, exc)
        starts = {}
        if self._upcoming is not None:
            starts = self._upcoming.first_offsets()
            self._leave_flight(self._upcoming)
        starts.update(batch.first_offsets())  # this batch's records come before the upcoming's
        self._upcoming = None
        for tp, offset in starts.items():
            self.consumer.seek(tp, offset)
        self._healthy = False
        self.status.set_ready(False)
        paused = list(self.consumer.assignment())
        self.consumer.pause(*paused)
        deadline = time.monotonic() + delay
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.consumer.poll(timeout_ms=200)  # paused: keeps the membership, fetches nothing
        still_ours = self.consumer.assignment()  # a rebalance may have happened while paused
        self.consumer.resume(*[tp for tp in paused if tp in still_ours])
        self._checked_at = 0.0

    def _watch_health(self) -> None:
        """Keep the readiness flag current from a thread of its own, so it also turns false
        while the main loop is blocked (a flush or commit waiting on a broker that is down)."""
        while not self.stop.wait(0.5):
            now = time.monotonic()
            if now - self._checked_at >= self.health_interval:
                self._checked_at = now
                self._healthy = self.processor.healthy()
            self.status.set_ready(self._joined and self._healthy and group_reachable(self.consumer))

    def _report_lag(self) -> None:
        """Lag per partition from the high-water mark. That mark only moves with a fetch, and
        a consumer working through a large prefetched buffer fetches rarely, so the log-end
        offsets that `EndOffsets` asks for in the background are also used: the larger wins."""
        assigned = self.consumer.assignment()
        ends: dict[TopicPartition, int] = {}
        if self._end_offsets is not None:
            self._end_offsets.want(assigned)
            ends = self._end_offsets.latest
        for tp in assigned:
            known = [end for end in (self.consumer.highwater(tp), ends.get(tp)) if end is not None]
            if not known:
                continue
            lag = max(0, max(known) - self.consumer.position(tp))
            self.metrics.consumer_lag.labels(self.metrics.service, tp.topic, tp.partition).set(lag)

    def _record(self, output: Output) -> None:
        service = self.metrics.service
        self.metrics.outcomes.labels(service, output.outcome).inc()
        if output.reason:
            self.metrics.rejections.labels(service, output.stage or "", output.reason).inc()
        if output.latency is not None:
            self.metrics.end_to_end_seconds.labels(service, output.outcome).observe(output.latency)
        if output.since_ingested is not None:
            pipeline = self.metrics.pipeline_seconds.labels(service, output.outcome)
            pipeline.observe(output.since_ingested)


class _Listener(ConsumerRebalanceListener):
    def __init__(self, loop: ConsumeLoop) -> None:
        self.loop = loop

    def on_partitions_revoked(self, revoked: Any) -> None:
        # Offsets are committed at the end of every batch, before the next poll (where
        # rebalances happen), or here when the poll is one ahead of the batch's end. Zero
        # their lag.
        self.loop._commit_before_revocation()
        for tp in revoked:
            self.loop.metrics.consumer_lag.labels(
                self.loop.metrics.service, tp.topic, tp.partition
            ).set(0)
        log.info("partitions revoked", extra={"partitions": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.loop._joined = True
        log.info(
            "partitions assigned", extra={"partitions": sorted(tp.partition for tp in assigned)}
        )
        if not assigned:  # it said only "partitions assigned" with an empty list
            log.warning(
                "this worker was assigned no partition of %s and idles: the group has more "
                "members (replicas × NEWSFLOW_WORKERS) than the topic has partitions",
                self.loop.topic,
            )


def group_reachable(consumer: KafkaConsumer) -> bool:
    """False while the group coordinator (the broker) is unknown, e.g. during a broker outage."""
    coordinator = getattr(consumer, "_coordinator", None)
    return coordinator is None or not coordinator.coordinator_unknown()
