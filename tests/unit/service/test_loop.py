"""The consume loop with a processor that works ahead: the next batch is polled and announced
a few records before the current one ends, and the commits, rebalances and rewinds still
keep every record accounted for. A scripted consumer stands in for the broker (the real one
is in the integration and fault tests)."""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from newsflow.errors import ConfigError, StoreUnavailable
from newsflow.service.loop import ConsumeLoop, WorkerStatus
from newsflow.service.metrics import Metrics
from newsflow.service.processor import Output

Record = namedtuple("Record", "topic partition offset key value")
TP0, TP1 = TopicPartition("in", 0), TopicPartition("in", 1)


def records(tp: TopicPartition, first: int, count: int) -> list[Record]:
    return [Record(tp.topic, tp.partition, first + n, None, b"x") for n in range(count)]


def by_partition(offsets: dict[TopicPartition, Any]) -> dict[int, int]:
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


class Consumer:
    """Answers each poll from a script: a dict of records, or "revoke" (a rebalance inside
    that poll: the listener is told, then the poll returns `after_revoke`)."""

    def __init__(self, script: list[Any], log: list[Any], stop: threading.Event) -> None:
        self.config = {"max_poll_interval_ms": 300_000}
        self.script = script
        self.log = log
        self.stop = stop
        self.listener: Any = None
        self.after_revoke: dict[TopicPartition, list[Record]] = {}
        self.paused: set[TopicPartition] = set()  # while any is, polls fetch nothing
        self.assigned: set[TopicPartition] = set()
        self.revoke_while_paused: set[TopicPartition] = set()  # a rebalance during a pause

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Record]]:
        if self.paused:
            if self.revoke_while_paused:
                self.assigned -= self.revoke_while_paused  # and their paused state with them
                self.paused -= self.revoke_while_paused
                self.listener.on_partitions_revoked(self.revoke_while_paused)
                self.revoke_while_paused = set()
            return {}
        self.log.append(("poll", timeout_ms))
        if not self.script:
            if timeout_ms:  # the loop asks for its next batch: the run is over (not ahead)
                self.stop.set()
            return {}
        step = self.script.pop(0)
        if step == "revoke":
            self.listener.on_partitions_revoked({TP0, TP1})
            return self.after_revoke
        return step

    def commit(self, offsets: dict[TopicPartition, Any], timeout_ms: int) -> None:
        self.log.append(("commit", {tp.partition: meta.offset for tp, meta in offsets.items()}))

    def commit_async(self, offsets: dict[TopicPartition, Any], callback: Any) -> None:
        self.log.append(
            ("commit_async", {tp.partition: meta.offset for tp, meta in offsets.items()})
        )
        callback(offsets, object())

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.log.append(("seek", tp.partition, offset))

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def highwater(self, tp: TopicPartition) -> None:
        return None

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        for tp in partitions:
            if tp not in self.assigned:  # as kafka-python: only an assigned partition resumes
                raise KeyError(tp)
            self.paused.discard(tp)

    def close(self, autocommit: bool) -> None: ...


class Future:
    def get(self, timeout: float) -> None:
        return None


class Producer:
    def __init__(self, log: list[Any], failing_flushes: int = 0) -> None:
        self.log = log
        self.failing_flushes = failing_flushes

    def send(self, topic: str, key: bytes | None, value: bytes) -> Future:
        return Future()

    def flush(self, timeout: float) -> None:
        self.log.append(("flush",))
        if self.failing_flushes:
            self.failing_flushes -= 1
            raise KafkaTimeoutError("no acks")


class Processor:
    """Records what it is told; fails once at `fail_at` (an offset of partition 0)."""

    def __init__(
        self,
        log: list[Any],
        poll_ahead: int,
        fail_at: int | None = None,
        watch: Any = None,
    ) -> None:
        self.log = log
        self.poll_ahead = poll_ahead
        self.fail_at = fail_at
        self.watch = watch  # logs its value at each record, when given

    def lookahead(self, records: list[Any], *, continuing: bool = False) -> None:
        self.log.append(("announce", [(r.partition, r.offset) for r in records], continuing))

    def process(self, record: Any) -> list[Output]:
        if (record.partition, record.offset) == (0, self.fail_at):
            self.fail_at = None
            raise StoreUnavailable("store away")
        self.log.append(("process", record.partition, record.offset))
        if self.watch is not None:
            self.log.append(("watched", self.watch()))
        return [Output("out", None, b"v", "clean")]

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = "retries_exhausted"
    ) -> Output:
        raise AssertionError("nothing is dead-lettered here")

    def healthy(self) -> bool:
        return True

    def context(self, record: Any) -> dict[str, str]:
        return {}


def run(
    script: list[Any],
    metrics: Metrics,
    after_revoke: dict[TopicPartition, list[Record]] | None = None,
    failing_flushes: int = 0,
    **processor: Any,
) -> list[Any]:
    """What the loop did, in order, until the script ran out (the consumer is assigned both
    partitions throughout)."""
    log: list[Any] = []
    stop = threading.Event()
    consumer = Consumer(script, log, stop)
    consumer.after_revoke = after_revoke or {}
    consumer.assigned = {TP0, TP1}
    run_until_done(consumer, Processor(log, **processor), metrics, failing_flushes)
    return log


def run_until_done(
    consumer: Consumer, processor: Processor, metrics: Metrics, failing_flushes: int = 0
) -> None:
    """Run the loop until its consumer's script ran out, or for 10 s at most: a loop that
    stopped fetching (its partitions left paused) is stopped, so the test fails, not hangs."""
    loop = ConsumeLoop(
        consumer=consumer,
        producer=Producer(consumer.log, failing_flushes),
        processor=processor,
        topic="in",
        metrics=metrics,
        stop=consumer.stop,
        status=WorkerStatus(set_ready=lambda ready: None),
        max_backoff=0.01,
    )
    worker = threading.Thread(target=loop.run)
    worker.start()
    worker.join(10)
    consumer.stop.set()
    worker.join()


def test_the_next_batch_is_announced_before_this_one_is_committed(metrics: Metrics) -> None:
    log = run([{TP0: records(TP0, 0, 4)}, {TP0: records(TP0, 4, 2)}], metrics, poll_ahead=2)
    assert log[:12] == [
        ("poll", 500),
        ("announce", [(0, 0), (0, 1), (0, 2), (0, 3)], False),
        ("process", 0, 0),
        ("process", 0, 1),
        ("poll", 0),  # two records before the end: the next batch, announced as continuing
        ("announce", [(0, 4), (0, 5)], True),
        ("process", 0, 2),
        ("process", 0, 3),
        ("flush",),
        ("commit", {0: 4}),  # the first batch's offsets only
        ("poll", 0),  # the second batch is as short as the poll ahead: polled at its start
        ("process", 0, 4),
    ]
    assert log[12:] == [
        ("process", 0, 5),
        ("flush",),
        ("commit", {0: 6}),
        ("poll", 500),  # the script has run out: the run stops
        ("flush",),
    ]


def test_without_a_poll_ahead_the_next_batch_is_polled_after_the_commit(
    metrics: Metrics,
) -> None:
    log = run([{TP0: records(TP0, 0, 2)}, {TP0: records(TP0, 2, 1)}], metrics, poll_ahead=0)
    assert [entry[0] for entry in log] == [
        "poll",
        "announce",
        "process",
        "process",
        "flush",
        "commit",
        "poll",
        "announce",
        "process",
        "flush",
        "commit",
        "poll",
        "flush",  # stopping
    ]


def test_a_rebalance_during_the_poll_ahead_commits_what_was_processed(metrics: Metrics) -> None:
    script: list[Any] = [{TP0: records(TP0, 0, 3), TP1: records(TP1, 0, 2)}, "revoke"]
    # After the rebalance this worker keeps partition 1 only: its records come again from
    # the committed offset.
    log = run(script, metrics, poll_ahead=2, after_revoke={TP1: records(TP1, 0, 2)})
    assert log == [
        ("poll", 500),
        ("announce", [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)], False),
        ("process", 0, 0),
        ("process", 0, 1),
        ("process", 0, 2),
        ("poll", 0),
        ("flush",),  # inside the poll, at the revocation: the three processed records
        ("commit_async", {0: 3}),  # on the consumer's IO thread: a blocking commit is refused
        # The rest of the batch is left to the partition's next owner, from the committed
        # offset. Should that be this worker, its position is moved back there.
        ("seek", 1, 0),
        # Here it is this worker: the records are polled again and announced as a new batch.
        ("announce", [(1, 0), (1, 1)], False),
        ("poll", 0),
        ("process", 1, 0),
        ("process", 1, 1),
        ("flush",),
        ("commit", {1: 2}),
        ("poll", 500),  # the script has run out
        ("flush",),  # stopping
    ]


def test_a_failure_after_the_poll_ahead_rewinds_both_batches(metrics: Metrics) -> None:
    first = {TP0: records(TP0, 0, 3)}
    upcoming = {TP0: records(TP0, 3, 1), TP1: records(TP1, 7, 2)}
    again = {TP0: records(TP0, 0, 4), TP1: records(TP1, 7, 2)}
    log = run([first, upcoming, again], metrics, poll_ahead=2, fail_at=2)
    seeks = [entry for entry in log if entry[0] == "seek"]
    # Partition 0 back to the failed batch's start; partition 1, only in the batch polled
    # ahead, back to its first record, which would otherwise be skipped.
    assert sorted(seeks) == [("seek", 0, 0), ("seek", 1, 7)]
    processed = [entry[1:] for entry in log if entry[0] == "process"]
    assert processed == [(0, 0), (0, 1), (0, 0), (0, 1), (0, 2), (0, 3), (1, 7), (1, 8)]
    commits = [entry[1] for entry in log if entry[0] == "commit"]
    assert commits == [{0: 4, 1: 9}]  # nothing was committed before the rewind


def test_records_handled_again_after_a_rewind_are_consumed_once(metrics: Metrics) -> None:
    """Each retry of a rewound batch was counted: with the store away, the consumed rate
    showed throughput while nothing got through."""
    consumed = metrics.consumed.labels(metrics.service, "in")
    before = consumed._value.get()
    first = {TP0: records(TP0, 0, 3)}
    upcoming = {TP0: records(TP0, 3, 1), TP1: records(TP1, 7, 2)}
    again = {TP0: records(TP0, 0, 4), TP1: records(TP1, 7, 2)}
    run([first, upcoming, again], metrics, poll_ahead=2, fail_at=2)
    assert consumed._value.get() - before == 6  # offsets 0-3 and 7-8, each once


def test_a_batch_undelivered_at_a_rebalance_is_polled_again_from_its_start(
    metrics: Metrics,
) -> None:
    script: list[Any] = [{TP0: records(TP0, 0, 3), TP1: records(TP1, 0, 2)}, "revoke"]
    again = {TP0: records(TP0, 0, 3), TP1: records(TP1, 0, 2)}
    log = run(script, metrics, poll_ahead=2, after_revoke=again, failing_flushes=1)
    # The flush at the revocation failed: nothing is committed, and the partitions that stay
    # go back to the batch's start.
    assert log[5:10] == [
        ("poll", 0),
        ("flush",),
        ("seek", 0, 0),
        ("seek", 1, 0),
        ("announce", [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)], False),
    ]
    processed = [entry[1:] for entry in log if entry[0] == "process"]
    assert processed == [(0, 0), (0, 1), (0, 2), (0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert [entry[1] for entry in log if entry[0] == "commit"] == [{0: 3, 1: 2}]


def test_a_batch_polled_ahead_is_in_flight_from_its_poll(metrics: Metrics) -> None:
    gauge = metrics.in_flight.labels(metrics.service)
    before = gauge._value.get()

    def in_flight() -> float:
        return float(gauge._value.get() - before)

    script = [{TP0: records(TP0, 0, 4)}, {TP0: records(TP0, 4, 2)}]
    log = run(script, metrics, poll_ahead=2, watch=in_flight)
    assert [entry[1] for entry in log if entry[0] == "watched"] == [4, 4, 6, 6, 2, 2]
    assert in_flight() == 0


def test_a_batch_polled_ahead_and_dropped_at_a_rewind_leaves_the_flight(
    metrics: Metrics,
) -> None:
    gauge = metrics.in_flight.labels(metrics.service)
    before = gauge._value.get()
    first = {TP0: records(TP0, 0, 3)}
    upcoming = {TP0: records(TP0, 3, 1), TP1: records(TP1, 7, 2)}
    again = {TP0: records(TP0, 0, 4), TP1: records(TP1, 7, 2)}
    run([first, upcoming, again], metrics, poll_ahead=2, fail_at=2)
    assert gauge._value.get() == before


def test_after_a_rewind_the_partitions_fetch_again(metrics: Metrics) -> None:
    """A retriable failure pauses the partitions while the loop waits (keeping its place in
    the group); once the wait is over they are resumed, and the batch is processed again."""
    log = run(
        [{TP0: records(TP0, 0, 2)}, {TP0: records(TP0, 0, 2)}], metrics, poll_ahead=0, fail_at=1
    )
    assert [entry[1:] for entry in log if entry[0] == "process"] == [(0, 0), (0, 0), (0, 1)]
    assert [entry[1] for entry in log if entry[0] == "commit"] == [{0: 2}]


def test_a_partition_revoked_during_the_wait_after_a_rewind_is_not_resumed(
    metrics: Metrics,
) -> None:
    """kafka-python refuses to resume a partition no longer assigned; the ones still assigned
    are resumed and fetch again."""
    log: list[Any] = []
    stop = threading.Event()
    first = {TP0: records(TP0, 0, 2), TP1: records(TP1, 0, 1)}
    consumer = Consumer([first, {TP1: records(TP1, 0, 1)}], log, stop)
    consumer.assigned = {TP0, TP1}
    consumer.revoke_while_paused = {TP0}
    run_until_done(consumer, Processor(log, poll_ahead=0, fail_at=1), metrics)
    assert consumer.assigned == {TP1} and consumer.paused == set()
    assert [entry[1:] for entry in log if entry[0] == "process"] == [(0, 0), (1, 0)]
    assert [entry[1] for entry in log if entry[0] == "commit"] == [{1: 1}]


class FailsOnceAtEach(Processor):
    """Fails once at each of the offsets `fail_at_each` of partition 0."""

    def __init__(self, log: list[Any], fail_at_each: set[int]) -> None:
        super().__init__(log, poll_ahead=0)
        self.fail_at_each = set(fail_at_each)

    def process(self, record: Any) -> list[Output]:
        if record.partition == 0 and record.offset in self.fail_at_each:
            self.fail_at_each.discard(record.offset)
            raise StoreUnavailable("store away")
        return super().process(record)


def test_the_backoff_after_a_rewind_starts_over_once_a_batch_gets_through(
    metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """Each failure in a row doubles the wait; a batch that gets through resets it, so a
    store away for a moment much later is not waited out as if it had been away since."""
    log: list[Any] = []
    stop = threading.Event()
    script = [{TP0: records(TP0, 0, 1)}] * 2 + [{TP0: records(TP0, 1, 1)}] * 2
    consumer = Consumer(script, log, stop)
    consumer.assigned = {TP0}
    ConsumeLoop(
        consumer=consumer,
        producer=Producer(log),
        processor=FailsOnceAtEach(log, {0, 1}),
        topic="in",
        metrics=metrics,
        stop=stop,
        status=WorkerStatus(set_ready=lambda ready: None),
        max_backoff=5.0,
    ).run()
    waits = [r.getMessage() for r in caplog.records if "batch rewound" in r.getMessage()]
    assert [message.split(":")[0] for message in waits] == [
        "retriable failure, batch rewound; retrying in 1.0 s",
        "retriable failure, batch rewound; retrying in 1.0 s",  # not 2.0: offset 0 got through
    ]
    assert [entry[1] for entry in log if entry[0] == "commit"] == [{0: 1}, {0: 2}]


class JoiningConsumer(Consumer):
    """Polls nothing; is assigned a partition at its `joins_at`-th poll and stops the loop
    at its `stops_at`-th. Each poll takes 0.1 s, as a poll with nothing to fetch does."""

    def __init__(self, log: list[Any], stop: threading.Event, *, joins_at: int, stops_at: int):
        super().__init__([], log, stop)
        self.polls, self.joins_at, self.stops_at = 0, joins_at, stops_at
        self.joined = threading.Event()

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Record]]:
        self.polls += 1
        if self.polls == self.joins_at:
            self.assigned = {TP0}
            self.listener.on_partitions_assigned({TP0})
            self.joined.set()
        if self.polls >= self.stops_at:
            self.stop.set()
        self.stop.wait(0.1)
        return {}


class Unhealthy(Processor):
    """A processor whose dependencies (its store) do not answer."""

    def healthy(self) -> bool:
        return False


def readiness(metrics: Metrics, processor_class: type[Processor]) -> list[tuple[bool, bool]]:
    """(joined yet, ready) at each readiness update of a worker that joins its group at its
    15th poll of 0.1 s and stops at its 30th."""
    log: list[Any] = []
    stop = threading.Event()
    consumer = JoiningConsumer(log, stop, joins_at=15, stops_at=30)
    readiness: list[tuple[bool, bool]] = []
    loop = ConsumeLoop(
        consumer=consumer,
        producer=Producer(log),
        processor=processor_class(log, poll_ahead=0),
        topic="in",
        metrics=metrics,
        stop=stop,
        status=WorkerStatus(
            set_ready=lambda ready: readiness.append((consumer.joined.is_set(), ready))
        ),
        health_interval=0.1,
    )
    loop.run()
    return readiness


def test_a_worker_is_ready_only_once_it_has_joined_its_group(metrics: Metrics) -> None:
    """Readiness (`/readyz`) waits for the group's assignment, however healthy the rest."""
    updates = readiness(metrics, Processor)
    before = [ready for joined, ready in updates if not joined]
    after = [ready for joined, ready in updates if joined]
    assert before and not any(before)
    assert True in after


def test_a_worker_whose_processor_is_unhealthy_is_not_ready_though_joined(
    metrics: Metrics,
) -> None:
    updates = readiness(metrics, Unhealthy)
    after = [ready for joined, ready in updates if joined]
    assert after and not any(after)


class Poisoned(Processor):
    """Raises on every attempt at the record at `poisoned` (an offset of partition 0)."""

    def __init__(self, log: list[Any], poisoned: int) -> None:
        super().__init__(log, poll_ahead=0)
        self.poisoned = poisoned

    def process(self, record: Any) -> list[Output]:
        if (record.partition, record.offset) == (0, self.poisoned):
            self.log.append(("attempt", record.offset))
            raise ValueError("poison")
        return super().process(record)

    def dead_letter(
        self, record: Any, detail: str, attempts: int, *, reason: str = "retries_exhausted"
    ) -> Output:
        self.log.append(("dead", record.offset, attempts, detail))
        return Output("dlq", None, b"d", "dlq", reason=reason)


def run_three(metrics: Metrics, log: list[Any], processor: Processor, producer: Producer) -> None:
    """Run the loop over offsets 0-2 of partition 0, one batch, until the script ends."""
    stop = threading.Event()
    consumer = Consumer([{TP0: records(TP0, 0, 3)}], log, stop)
    consumer.assigned = {TP0}
    ConsumeLoop(
        consumer=consumer,
        producer=producer,
        processor=processor,
        topic="in",
        metrics=metrics,
        stop=stop,
        status=WorkerStatus(set_ready=lambda ready: None),
        max_backoff=0.01,
    ).run()


def test_a_record_that_always_raises_is_tried_three_times_counted_as_two_retries_and_dead_lettered(
    metrics: Metrics,
) -> None:
    log: list[Any] = []
    retries = metrics.retries.labels(metrics.service)
    before = retries._value.get()
    run_three(metrics, log, Poisoned(log, poisoned=1), Producer(log))
    assert [entry for entry in log if entry[0] in ("attempt", "dead", "process")] == [
        ("process", 0, 0),
        ("attempt", 1),
        ("attempt", 1),
        ("attempt", 1),
        ("dead", 1, 3, "ValueError: poison"),
        ("process", 0, 2),
    ]
    assert retries._value.get() - before == 2  # processed again twice; the third try is the last
    assert ("commit", {0: 3}) in log or ("commit_async", {0: 3}) in log


def test_a_record_that_raises_is_logged_with_where_it_is_and_its_article_id(
    metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator finds the dead letter's article in the logs by its id (the style's rule for
    error logs); they said topic, partition and offset only."""

    class Named(Poisoned):
        def context(self, record: Any) -> dict[str, str]:
            return {"article_id": f"article-{record.offset}"}

    log: list[Any] = []
    with caplog.at_level("ERROR", logger="newsflow.service.loop"):
        run_three(metrics, log, Named(log, poisoned=1), Producer(log))
    failures = [r for r in caplog.records if r.getMessage().startswith("processing failed")]
    assert len(failures) == 3
    for failure in failures:
        where = {key: getattr(failure, key, None) for key in ("topic", "partition", "offset")}
        assert where == {"topic": "in", "partition": 0, "offset": 1}
        assert getattr(failure, "article_id", None) == "article-1"


class Oversized(Poisoned):
    """Gives the record at `poisoned` (an offset of partition 0) an outcome of 2 MB."""

    def process(self, record: Any) -> list[Output]:
        if (record.partition, record.offset) == (0, self.poisoned):
            return [Output("out", None, b"x" * 2_000_000, "clean")]
        return super().process(record)


class SizeLimitedProducer(Producer):
    """Refuses a record over 1 MB at `send`, as kafka-python does over `max_request_size`."""

    def __init__(self, log: list[Any]) -> None:
        super().__init__(log)
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, key: bytes | None, value: bytes) -> Future:
        if len(value) > 1_000_000:
            raise MessageSizeTooLargeError(f"The message is {len(value)} bytes")
        self.sent.append((topic, value))
        return Future()


def test_an_outcome_too_large_to_publish_dead_letters_its_record_and_the_partition_moves_on(
    metrics: Metrics,
) -> None:
    log: list[Any] = []
    producer = SizeLimitedProducer(log)
    run_three(metrics, log, Oversized(log, poisoned=1), producer)
    assert [topic for topic, _ in producer.sent] == ["out", "dlq", "out"]
    [(_, _, _, detail)] = [entry for entry in log if entry[0] == "dead"]
    assert "could not be published" in detail and "2000000 bytes" in detail
    assert ("commit", {0: 3}) in log


class Refused:
    """A future the broker answered with MESSAGE_TOO_LARGE (its message.max.bytes)."""

    def get(self, timeout: float) -> None:
        raise MessageSizeTooLargeError("[Error 10] MessageSizeTooLargeError")


class BrokerLimitedProducer(SizeLimitedProducer):
    """Takes anything at `send`; the broker refuses a record over 1 MB when it arrives."""

    def send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        self.sent.append((topic, value))
        return Refused() if len(value) > 1_000_000 else Future()


def test_an_outcome_the_broker_refuses_as_too_large_dead_letters_its_record(
    metrics: Metrics,
) -> None:
    log: list[Any] = []
    producer = BrokerLimitedProducer(log)
    run_three(metrics, log, Oversized(log, poisoned=1), producer)
    assert [topic for topic, _ in producer.sent] == ["out", "out", "out", "dlq"]
    [(_, offset, _, detail)] = [entry for entry in log if entry[0] == "dead"]
    assert offset == 1 and "MessageSizeTooLargeError" in detail
    assert ("commit", {0: 3}) in log


class Misconfigured(Poisoned):
    """The store refuses the user at the record at `poisoned`: a `ConfigError`."""

    def process(self, record: Any) -> list[Output]:
        if (record.partition, record.offset) == (0, self.poisoned):
            raise ConfigError("the store refused the user")
        return super().process(record)


def test_a_configuration_error_stops_the_worker_without_dead_lettering_or_committing(
    metrics: Metrics,
) -> None:
    """Every record would fail the same way: dead-lettering them would empty the topic into
    the dead letters. The worker stops (the operator fixes it) and commits nothing."""
    log: list[Any] = []
    with pytest.raises(ConfigError, match="refused the user"):
        run_three(metrics, log, Misconfigured(log, poisoned=1), Producer(log))
    assert [entry for entry in log if entry[0] in ("dead", "commit", "seek")] == []


class DeadLettersRefusedToo(BrokerLimitedProducer):
    """The broker also refuses every dead letter (say, the dead-letter topic's own limit)."""

    def send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        if topic == "dlq":
            self.sent.append((topic, value))
            return Refused()
        return super().send(topic, key, value)


def test_a_dead_letter_the_broker_refuses_in_turn_stops_the_worker_uncommitted(
    metrics: Metrics,
) -> None:
    """Committing would lose the record: nothing of it would be published anywhere."""
    log: list[Any] = []
    producer = DeadLettersRefusedToo(log)
    with pytest.raises(MessageSizeTooLargeError):
        run_three(metrics, log, Oversized(log, poisoned=1), producer)
    assert [topic for topic, _ in producer.sent] == ["out", "out", "out", "dlq"]
    assert [entry for entry in log if entry[0] in ("commit", "commit_async")] == []


def test_a_worker_assigned_no_partition_says_it_idles(caplog: pytest.LogCaptureFixture) -> None:
    """With more group members than partitions (`NEWSFLOW_WORKERS=4` on a topic of 3), the
    idle worker logged only "partitions assigned" with an empty list."""
    from types import SimpleNamespace

    from kafka import TopicPartition

    from newsflow.service.loop import _Listener

    loop = SimpleNamespace(_joined=False, topic="articles.raw")
    listener = _Listener(loop)  # type: ignore[arg-type]
    with caplog.at_level("INFO", logger="newsflow.service.loop"):
        listener.on_partitions_assigned({TopicPartition("articles.raw", 0)})
        assert not [r for r in caplog.records if r.levelname == "WARNING"]
        listener.on_partitions_assigned(set())
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "assigned no partition of articles.raw and idles" in warned[0]
    assert loop._joined  # still ready: an idle member is a healthy one


class StopsAt(Processor):
    """Sets the worker's stop (SIGTERM) while it processes the record at `offset`."""

    def __init__(self, log: list[Any], stop: threading.Event, offset: int) -> None:
        super().__init__(log, poll_ahead=0)
        self.stop, self.offset = stop, offset

    def process(self, record: Any) -> list[Output]:
        if record.offset == self.offset:
            self.stop.set()
        return super().process(record)


def test_a_stop_within_a_batch_commits_the_records_done_and_leaves_the_rest(
    metrics: Metrics,
) -> None:
    """The whole batch was finished first: 20 slow pages outlasted the shutdown timeout, and
    the worker was killed with none of it committed."""
    log: list[Any] = []
    stop = threading.Event()
    consumer = Consumer([{TP0: records(TP0, 0, 5)}], log, stop)
    consumer.assigned = {TP0}
    run_until_done(consumer, StopsAt(log, stop, offset=1), metrics)
    assert [entry[2] for entry in log if entry[0] == "process"] == [0, 1]
    assert [entry[1] for entry in log if entry[0] == "commit"] == [{0: 2}]
