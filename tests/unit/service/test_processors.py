"""The services' per-record processors, driven with plain records (no broker needed)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import namedtuple
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import orjson
import pytest
from kafka import TopicPartition

from newsflow import pipeline
from newsflow.contracts.codec import EventKind, decode
from newsflow.model import Article
from newsflow.pipeline import DecideSettings
from newsflow.rejection import Rejection
from newsflow.sandbox import Extracted, Sandbox, SandboxLimits
from newsflow.service.loop import ConsumeLoop, WorkerStatus
from newsflow.service.metrics import Metrics
from newsflow.stages.ingest import IngestLimits
from newsflow.store.sqlite import SqliteStore
from newsflow_extract.processor import ExtractProcessor
from newsflow_ingest.intake import split_messages
from newsflow_ingest.processor import IngestProcessor

Record = namedtuple("Record", "topic partition offset key value")
NOW = datetime(2024, 9, 10, 12, 0, tzinfo=UTC)
BODY = "<html><body><article>" + "".join(
    f"<p>The harbour reopened on day {n} after the storm passed, and {n * 3} ferries ran again "
    "between the islands while crews cleared the damaged piers.</p>"
    for n in range(1, 7)
)


def ingest_record(n: int, **fields: object) -> Record:
    raw = {"id": f"s{n}", "url": f"https://example.com/{n}", "html": BODY, **fields}
    return Record("raw", 0, n, None, orjson.dumps(raw))


def test_ingest_forwards_valid_messages_keyed_by_canonical_url() -> None:
    processor = IngestProcessor(
        ingested_topic="ing", rejected_topic="rej", limits=IngestLimits(), clock=lambda: NOW
    )
    [output] = processor.process(ingest_record(1, url="https://Example.com/1?utm_source=x"))
    assert (output.topic, output.key, output.outcome) == (
        "ing",
        b"https://example.com/1",
        "ingested",
    )
    assert decode("ingested", output.value)["source_id"] == "s1"


def test_ingest_rejects_with_origin_and_original() -> None:
    processor = IngestProcessor(
        ingested_topic="ing", rejected_topic="rej", limits=IngestLimits(), clock=lambda: NOW
    )
    record = Record("raw", 3, 42, None, b'{"id": "x", "url": "ftp://a.b/"}')
    [output] = processor.process(record)
    event = decode("rejection", output.value)
    assert (output.topic, output.reason, output.stage) == ("rej", "missing_field", "ingest")
    assert event["origin"] == {"topic": "raw", "partition": 3, "offset": 42}
    assert event["original"] == record.value.decode()
    assert (event["source_id"], event["url"]) == ("x", "ftp://a.b/")  # as the sender gave them


def test_an_ingest_rejection_names_no_url_the_sender_did_not_give_as_a_string() -> None:
    processor = IngestProcessor(
        ingested_topic="ing", rejected_topic="rej", limits=IngestLimits(), clock=lambda: NOW
    )
    for value in (b'{"id": "x", "url": 7}', b'["https://a.b/"]', b"not json"):
        [output] = processor.process(Record("raw", 0, 1, None, value))
        assert decode("rejection", output.value)["url"] is None
    too_long = orjson.dumps({"url": "https://a.b/" + "x" * 9000, "html": BODY})
    [output] = processor.process(Record("raw", 0, 2, None, too_long))
    assert decode("rejection", output.value)["url"] is None  # as long as 8,192 at most


def extract_processor(metrics: Metrics, store: SqliteStore) -> ExtractProcessor:
    return ExtractProcessor(
        topics={"clean": "c", "duplicate": "d", "dlq": "q"},
        store=store,
        sandbox=Sandbox(),
        decide=DecideSettings(),
        metrics=metrics,
        clock=lambda: NOW,
    )


def ingested(n: int, **fields: object) -> Record:
    processor = IngestProcessor(
        ingested_topic="ing", rejected_topic="rej", limits=IngestLimits(), clock=lambda: NOW
    )
    [output] = processor.process(ingest_record(n, **fields))
    return Record("ing", 0, n, output.key, output.value)


def test_extract_decides_unique_then_duplicate_and_redelivery_keeps_the_decision(
    metrics: Metrics,
) -> None:
    store = SqliteStore(":memory:")
    processor = extract_processor(metrics, store)
    try:
        first, copy = ingested(1), ingested(2)
        [a] = processor.process(first)
        [b] = processor.process(copy)
        [a_again] = processor.process(first)
        [b_again] = processor.process(copy)
    finally:
        processor.close()
    assert (a.topic, a.outcome, b.topic, b.outcome) == ("c", "clean", "d", "duplicate")
    clean = decode("clean", a.value)
    assert decode("duplicate", b.value)["duplicate_of"] == clean["article_id"]
    assert a_again.outcome == "clean" and b_again.outcome == "duplicate"
    assert decode("duplicate", b_again.value)["duplicate_of"] == clean["article_id"]
    assert a.latency is not None and a.latency >= 0


def test_an_outcome_tells_its_time_since_ingestion_apart_from_its_age_since_the_fetch(
    metrics: Metrics,
) -> None:
    """A crawler's fetched_at may be hours or years back (a backfill): the end-to-end time
    from it said nothing of newsflow's own speed (the samples' crawl line, fetched in 2024,
    counted 2.2 years), so the time from ingestion is kept too."""
    processor = ExtractProcessor(
        topics={"clean": "c", "duplicate": "d", "dlq": "q"},
        store=SqliteStore(":memory:"),
        sandbox=Sandbox(),
        decide=DecideSettings(),
        metrics=metrics,
        clock=lambda: NOW + timedelta(seconds=2),  # ingested at NOW
    )
    try:
        [fresh] = processor.process(ingested(1))
        [old] = processor.process(
            ingested(2, html=other_body(2), fetched_at="2020-01-01T00:00:00Z")
        )
    finally:
        processor.close()
    assert (fresh.latency, fresh.since_ingested) == (2.0, 2.0)
    assert old.since_ingested == 2.0
    assert old.latency is not None and old.latency > 4 * 365 * 86400


def test_extract_dead_letters_what_it_cannot_use(metrics: Metrics) -> None:
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    try:
        [bad_event] = processor.process(Record("ing", 1, 7, b"k", b'{"not": "an ingested event"}'))
        [tombstone] = processor.process(Record("ing", 1, 8, b"k", None))
        unusable = ingested(3, html="<html><body><nav>Home</nav></body></html>")
        [empty] = processor.process(unusable)
        exhausted = processor.dead_letter(ingested(4), "RuntimeError: boom", 3)
    finally:
        processor.close()
    # Each keeps its input's key, so a replay puts it back where it came from.
    assert (bad_event.key, empty.key) == (b"k", unusable.key)
    assert unusable.key == b"https://example.com/3"
    assert (bad_event.topic, bad_event.reason) == ("q", "bad_event")
    assert (tombstone.topic, tombstone.reason) == ("q", "bad_event")  # a null value, no crash
    assert decode("rejection", tombstone.value)["original"] == ""
    assert decode("rejection", tombstone.value)["detail"] == "the record has no value (a tombstone)"
    assert decode("rejection", bad_event.value)["origin"] == {
        "topic": "ing",
        "partition": 1,
        "offset": 7,
    }
    assert (empty.topic, empty.reason) == ("q", "no_main_text")
    event = decode("rejection", exhausted.value)
    assert (event["reason"], event["attempts"], event["detail"]) == (
        "retries_exhausted",
        3,
        "RuntimeError: boom",
    )
    # The article it was, as the other dead letters say, to find it in the logs.
    assert event["article_id"] == decode("ingested", ingested(4).value)["article_id"]
    assert processor.context(ingested(4)) == {"article_id": event["article_id"]}
    assert processor.context(Record("ing", 1, 8, b"k", None)) == {}


class ScriptedSandbox:
    """A sandbox answering what it is told to, as the real one reports a page its extractor
    processes died on (`attempts`: the processes it took) or that one ran out of time on."""

    limits = SandboxLimits()

    def __init__(self, answers: list[Extracted]) -> None:
        self.answers = answers

    def submit(self, article: Article) -> None:
        pass

    def collect(self) -> Extracted:
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def test_extractor_processes_that_died_or_were_stopped_are_counted(metrics: Metrics) -> None:
    """A page that kills its extractor (a crash, the memory cap) costs a new process, also
    when a retry in the next one succeeds: nothing counted them, and a dead letter showed only
    the pages that killed every try."""
    from prometheus_client import REGISTRY

    def restarts(cause: str) -> float:
        labels = {"service": metrics.service, "cause": cause}
        return REGISTRY.get_sample_value("newsflow_extractor_restarts_total", labels) or 0.0

    before = restarts("died"), restarts("timed_out")
    sandbox = ScriptedSandbox(
        [
            Extracted(Rejection("extractor_crashed", "died on it"), attempts=3),
            Extracted(Rejection("extraction_timeout", "took too long"), attempts=2),
            Extracted(Rejection("no_main_text", "a menu"), attempts=2),
            Extracted(Rejection("no_main_text", "a menu"), attempts=1),
        ]
    )
    processor = ExtractProcessor(
        topics={"clean": "c", "duplicate": "d", "dlq": "q"},
        store=SqliteStore(":memory:"),
        sandbox=cast(Sandbox, sandbox),
        decide=DecideSettings(),
        metrics=metrics,
        clock=lambda: NOW,
    )
    for n in range(4):
        processor.process(ingested(n, html=other_body(n)))
    assert (restarts("died") - before[0], restarts("timed_out") - before[1]) == (3 + 1 + 1, 1)


def other_body(n: int) -> str:
    return BODY.replace("harbour", f"harbour of town {n}").replace("storm", f"storm number {n}")


def outcomes_of(
    metrics: Metrics, records: list[Record], *, ahead: bool, split: int | None = None
) -> list[tuple[str, str]]:
    """(topic, article_id or reason) per record, processed as one batch; or, with `split`, as
    two, the second announced while two records of the first remain (the consume loop's poll
    ahead)."""
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    split = len(records) if split is None else split
    try:
        if ahead:
            processor.lookahead(records[:split])
        found = []
        for n, record in enumerate(records):
            if ahead and n == max(0, split - 2) and split < len(records):
                processor.lookahead(records[split:], continuing=True)
            [output] = processor.process(record)
            event = orjson.loads(output.value)
            found.append((output.topic, event.get("duplicate_of") or event.get("reason") or ""))
            if ahead and record is not records[-1]:
                assert processor.sandbox.pending <= 2
    finally:
        processor.close()
    return found


def test_extracting_the_next_record_ahead_changes_no_outcome(metrics: Metrics) -> None:
    batch = [
        ingested(1),
        ingested(2, html=other_body(2)),
        ingested(3),  # same body as 1: exact duplicate
        Record("ing", 0, 4, b"k", b"{}"),  # a bad event in the middle
        ingested(5, html=other_body(2)),  # same body as 2
        ingested(6, html=other_body(6)),
        ingested(7, html="<html><body><nav>Home</nav></body></html>"),  # no text
        ingested(8, html="<html><body><nav>Menu</nav></body></html>"),  # no text
        # Stepped over while 8 is decided (same body), but 8 fails, so 9 is extracted after
        # 10, which was sent ahead: the results must still go to their own records.
        ingested(9, html="<html><body><nav>Menu</nav></body></html>"),
        ingested(10, html=other_body(10)),
    ]
    expected = outcomes_of(metrics, batch, ahead=False)
    assert [topic for topic, _ in expected] == ["c", "c", "d", "q", "d", "c", "q", "q", "q", "c"]
    assert outcomes_of(metrics, batch, ahead=True) == expected


def test_a_batch_announced_before_the_last_one_ends_continues_it(metrics: Metrics) -> None:
    batch = [
        ingested(1),
        ingested(2, html=other_body(2)),
        ingested(3),  # same body as 1
        ingested(4, html=other_body(2)),  # same body as 2
        ingested(5, html=other_body(5)),
        Record("ing", 0, 6, b"k", b"{}"),
        ingested(7, html=other_body(5)),  # same body as 5
        ingested(8, html=other_body(8)),
    ]
    expected = outcomes_of(metrics, batch, ahead=False)
    assert [topic for topic, _ in expected] == ["c", "c", "d", "d", "c", "q", "d", "c"]
    for split in range(1, len(batch)):
        assert outcomes_of(metrics, batch, ahead=True, split=split) == expected, split


def test_nothing_is_kept_for_records_once_processed(metrics: Metrics) -> None:
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    records = [ingested(n, html=other_body(n % 7)) for n in range(1, 31)]
    try:
        processor.lookahead(records[:5])
        for n, record in enumerate(records):
            if n % 5 == 3 and n + 2 < len(records):  # each batch of 5 announced ahead
                processor.lookahead(records[n + 2 : n + 7], continuing=True)
            processor.process(record)
        # The queue holds the last batch and the three records before it (at its announcement:
        # the one just processed and the two remaining), not the thirty.
        assert len(processor.ahead._batch) == 5 + 3
        assert not (processor._decoded or processor._recrawls or processor._bodies)
    finally:
        processor.close()


def test_the_next_record_is_extracted_while_this_one_is_decided(metrics: Metrics) -> None:
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    batch = [ingested(1), ingested(2, html=other_body(2)), ingested(3, html=other_body(3))]
    try:
        processor.lookahead(batch)
        processor.process(batch[0])
        assert processor.sandbox.pending == 2  # records 2 and 3 went to the extractor
        assert processor.ahead.sent_ahead(batch[1]) is not None
        # A retry of record 1 extracts it again; record 2's extraction is kept.
        [again] = processor.process(batch[0])
        assert again.outcome == "clean"
        assert processor.ahead.sent_ahead(batch[1]) is not None
        outputs = [processor.process(record)[0] for record in batch[1:]]
    finally:
        processor.close()
    assert [o.outcome for o in outputs] == ["clean", "clean"]


def test_records_needing_no_extraction_are_stepped_over(metrics: Metrics) -> None:
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    first = ingested(1)
    batch = [first, ingested(2), Record("ing", 0, 3, b"k", b"{}"), ingested(4, html=other_body(4))]
    try:
        processor.lookahead(batch)
        processor.process(first)  # 2 repeats its body and 3 is not an event: 4 is sent ahead
        assert processor.ahead.sent_ahead(batch[3]) is not None
        outcomes = [processor.process(record)[0].outcome for record in batch[1:]]
    finally:
        processor.close()
    assert outcomes == ["duplicate", "dlq", "clean"]


def test_a_body_already_on_its_way_to_the_extractor_is_not_sent_again(
    metrics: Metrics,
) -> None:
    processor = extract_processor(metrics, SqliteStore(":memory:"))
    batch = [ingested(1, html=other_body(1)), ingested(2), ingested(3)]  # 3 repeats 2's body
    extracted: list[str] = []
    submit = processor.sandbox.submit

    def submit_recorded(article: Article) -> None:
        extracted.append(article.url)
        submit(article)

    processor.sandbox.submit = submit_recorded  # type: ignore[method-assign]
    try:
        processor.lookahead(batch)
        processor.process(batch[0])  # 2 is sent ahead; 3 waits: 2 will have decided its body
        assert processor.ahead.sent_ahead(batch[1]) is not None
        assert processor.ahead.sent_ahead(batch[2]) is None
        outcomes = [processor.process(record)[0].outcome for record in batch[1:]]
    finally:
        processor.close()
    assert outcomes == ["clean", "duplicate"]
    assert len(extracted) == 2  # 3 was decided as a re-crawl of 2, from its raw body


class ScriptedConsumer:
    """Delivers `batches` of partition 0 one poll each, then stops the loop."""

    def __init__(self, batches: list[list[Record]], stop: threading.Event) -> None:
        self.batches, self.stop = batches, stop
        self.config = {"max_poll_interval_ms": 300_000}

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[Record]]:
        if not self.batches:
            if timeout_ms:  # the loop asks for its next batch (not one ahead): the run is over
                self.stop.set()
            return {}
        return {TopicPartition("ing", 0): self.batches.pop(0)}

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("ing", 0)}

    def subscribe(self, topics: list[str], listener: object) -> None: ...
    def commit(self, offsets: object, timeout_ms: int) -> None: ...
    def commit_async(self, offsets: object, callback: object) -> None: ...
    def highwater(self, tp: TopicPartition) -> None: ...
    def position(self, tp: TopicPartition) -> int:
        return 0

    def close(self, autocommit: bool) -> None: ...


class RecordingProducer:
    """Keeps what is sent, each acknowledged at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        self.sent.append((topic, value))
        return SimpleNamespace(get=lambda timeout: None)

    def flush(self, timeout: float) -> None: ...


def test_an_article_dead_lettered_after_its_tries_leaves_its_text_to_the_next_copy(
    metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision raises after the claim on each of the first record's three tries: it is
    dead-lettered `retries_exhausted`, and the copy after it (another URL, the same body) is
    clean, no longer a duplicate of an article that never reached articles.clean; the dead
    letter's original replayed later is a duplicate of the copy."""
    first, copy = ingested(1), ingested(2)
    first_id = decode("ingested", first.value)["article_id"]
    place = pipeline.place

    def raising_for_the_first(article_id: str, **kwargs: Any) -> Any:
        if article_id == first_id and failing:
            raise KeyError("a defect this page triggers")
        return place(article_id, **kwargs)

    failing = True
    monkeypatch.setattr(pipeline, "place", raising_for_the_first)
    store = SqliteStore(":memory:")
    stop, producer = threading.Event(), RecordingProducer()

    def run(batches: list[list[Record]]) -> list[tuple[str, dict[str, Any]]]:
        stop.clear()
        producer.sent.clear()
        ConsumeLoop(
            consumer=ScriptedConsumer(batches, stop),
            producer=producer,
            processor=extract_processor(metrics, store),
            topic="ing",
            metrics=metrics,
            stop=stop,
            status=WorkerStatus(set_ready=lambda ready: None),
            max_backoff=0.01,
        ).run()
        kinds: dict[str, EventKind] = {"c": "clean", "d": "duplicate", "q": "rejection"}
        return [(topic, decode(kinds[topic], value)) for topic, value in producer.sent]

    [(dlq, dead), (clean, clean_copy)] = run([[first, copy]])
    assert (dlq, dead["reason"], dead["attempts"]) == ("q", "retries_exhausted", 3)
    assert dead["detail"] == "KeyError: 'a defect this page triggers'"
    assert (clean, clean_copy["article_id"]) == ("c", decode("ingested", copy.value)["article_id"])

    failing = False  # mended: the dead letter's original is replayed
    replayed = Record("ing", 0, 3, first.key, dead["original"].encode())
    [(topic, again)] = run([[replayed]])
    assert (topic, again["article_id"]) == ("d", first_id)
    assert again["duplicate_of"] == clean_copy["article_id"]


class CountingStore(SqliteStore):
    """Counts the re-crawl lookups: one at a time, and for a whole batch."""

    peeks = 0
    batch_peeks = 0

    def peek(self, key: str, *, now: float) -> str | None:
        self.peeks += 1
        return super().peek(key, now=now)

    def peek_many(self, keys: Sequence[str], *, now: float) -> list[str | None]:
        self.batch_peeks += 1
        return super().peek_many(keys, now=now)


def test_a_batch_asks_once_which_of_its_records_are_recrawls(metrics: Metrics) -> None:
    store = CountingStore(":memory:")
    processor = extract_processor(metrics, store)
    earlier = [ingested(1), ingested(2, html=other_body(2))]
    batch = [
        ingested(3),  # a re-crawl of 1
        ingested(4, html=other_body(4)),
        ingested(5),  # the same body again: asks at its turn (3 may have changed the answer)
    ]
    try:
        processor.lookahead(earlier)
        for record in earlier:
            processor.process(record)
        store.peeks = store.batch_peeks = 0
        processor.lookahead(batch)
        outcomes = [processor.process(record)[0].outcome for record in batch]
    finally:
        processor.close()
    assert outcomes == ["duplicate", "clean", "duplicate"]
    assert (store.batch_peeks, store.peeks) == (1, 1)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"url": "u"}', [b'{"url": "u"}']),
        (b'{\n  "url": "u"\n}\n', [b'{\n  "url": "u"\n}']),
        (b'{"a": 1}\n\n{"b": 2}\n', [b'{"a": 1}', b'{"b": 2}']),
        (b"", "empty body"),
        (b'{"a": 1}\n[2]', "line 2 is not a JSON object"),
        (b'{"a": 1}\n{oops', "line 2 is not JSON"),
    ],
)
def test_intake_accepts_one_object_or_ndjson(body: bytes, expected: object) -> None:
    result = split_messages(body)
    if isinstance(expected, str):
        assert isinstance(result, str) and result.startswith(expected)
    else:
        assert result == expected


@pytest.mark.parametrize("service", ["ingest", "extract"])
def test_the_service_modules_take_the_commands_flags(service: str) -> None:
    """`python -m newsflow_ingest --help` started the service: the flags were dropped."""
    shown = subprocess.run(
        [sys.executable, "-m", f"newsflow_{service}", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0
    assert f"usage: newsflow {service}" in shown.stdout
