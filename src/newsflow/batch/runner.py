"""`newsflow process`: run every input through the stages and write one outcome file each.

Extraction runs in parallel sandboxes; decisions are made in input order in this process, so
the outcomes are the same whatever the number of workers.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import IO, TypeVar

from newsflow import events
from newsflow.batch.inputs import OUTCOME_NAMES, InputItem
from newsflow.batch.recorded import Recorded
from newsflow.contracts.codec import EventKind, encode
from newsflow.errors import ConfigError
from newsflow.model import Article
from newsflow.pipeline import DecideSettings, Outcome, recrawl_outcome, run_decide, run_ingest
from newsflow.rejection import RETRIES_EXHAUSTED, Rejection
from newsflow.sandbox import Extracted, SandboxLimits, extract_ordered
from newsflow.stages import recrawl
from newsflow.stages.ingest import WEB_SCHEMES, IngestLimits, format_timestamp
from newsflow.store.base import DedupStore

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTPUT_FILES: dict[str, tuple[str, EventKind]] = {  # by outcome kind: one of OUTCOME_NAMES
    "clean": ("clean.ndjson", "clean"),
    "duplicate": ("duplicates.ndjson", "duplicate"),
    "rejected": ("rejected.ndjson", "rejection"),
    "dlq": ("rejected.ndjson", "rejection"),
}
OUTPUT_NAMES = sorted(OUTCOME_NAMES)


@dataclass
class BatchSummary:
    """What a run did: outcomes by kind, rejections by reason, WARC records skipped by kind,
    inputs skipped for an outcome recorded before, time taken."""

    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # WARC records holding no article
    recorded: int = 0  # inputs whose outcome the output files already held
    near_duplicates: int = 0  # clean articles that nearly repeat an earlier one
    stories_founded: int = 0  # clean articles that began a story (its story_id their own id)
    seconds: float = 0.0
    first_seconds: float | None = None  # until the first outcome (extractors starting, mostly)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def duplicate_ratio(self) -> float:
        decided = self.outcomes["clean"] + self.outcomes["duplicate"]
        return self.outcomes["duplicate"] / decided if decided else 0.0

    @property
    def steady_rate(self) -> float | None:
        """Outcomes per second after the first one: the rate a longer run tends to."""
        if self.first_seconds is None or self.total < 2 or self.seconds <= self.first_seconds:
            return None
        return (self.total - 1) / (self.seconds - self.first_seconds)

    def record(self, outcome: Outcome) -> None:
        kind = "rejected" if outcome.kind == "dlq" else outcome.kind
        self.outcomes[kind] += 1
        if kind == "rejected":
            self.reasons[outcome.event["reason"]] += 1
        elif kind == "clean":
            event = outcome.event
            self.near_duplicates += event["dedup"]["status"] == "near_duplicate"
            self.stories_founded += event.get("story_id") == event["article_id"]


@dataclass(frozen=True, slots=True)
class BatchSettings:
    workers: int = 1
    ingest: IngestLimits = field(default_factory=IngestLimits)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    decide: DecideSettings = field(default_factory=DecideSettings)


RECRAWL_LOOKUPS = 32
"""Inputs ingested together, their re-crawl lookups made in one store call."""


def process_items(
    items: Iterable[InputItem],
    *,
    store: DedupStore,
    settings: BatchSettings,
    clock: Callable[[], datetime],
    recorded: Recorded | None = None,
) -> Iterator[Outcome]:
    """Every item's one outcome, in input order, but for the items whose outcome is
    `recorded` (in the output files, or given earlier in the run: the same message twice),
    which are skipped before extraction and counted in `recorded.skipped`."""
    recorded = Recorded() if recorded is None else recorded
    local_limits = IngestLimits(settings.ingest.max_bytes, WEB_SCHEMES | {"file"})

    def ingested(item: InputItem) -> tuple[InputItem, Outcome]:
        if item.rejection is not None:
            event = events.rejection_event(
                item.rejection,
                stage="ingest",
                original=item.raw,
                origin=item.origin,
                rejected_at=format_timestamp(clock()),
            )
            return item, Outcome("rejected", event)
        limits = local_limits if item.local_file else settings.ingest
        try:
            return item, run_ingest(item.raw, origin=item.origin, now=clock(), limits=limits)
        except Exception as exc:
            return item, dead_letter(item, exc, stage="ingest", now=clock())

    def recrawls_decided(pairs: list[tuple[InputItem, Outcome]]) -> list[tuple[InputItem, Outcome]]:
        """A re-crawl of a body decided before needs no extraction. (One whose first copy is
        not decided yet, in this chunk or in flight, is extracted; both ways give the same
        outcome.)"""
        found = [(n, outcome.article) for n, (_, outcome) in enumerate(pairs) if outcome.article]
        if not found:
            return pairs
        now = clock()
        articles = [article for _, article in found]
        hits = with_store_retries(
            lambda: recrawl.recognize_many(articles, store, now=now.timestamp())
        )
        for (n, article), hit in zip(found, hits, strict=True):
            if hit is not None:
                pairs[n] = (pairs[n][0], recrawl_outcome(article, hit, now=now))
        return pairs

    def chunks() -> Iterator[tuple[InputItem, Outcome]]:
        stream = iter(items)
        while chunk := [ingested(item) for item in islice(stream, RECRAWL_LOOKUPS)]:
            yield from recrawls_decided([pair for pair in chunk if recorded.admit(pair[1].event)])

    def article_of(pair: tuple[InputItem, Outcome]) -> Article | None:
        return pair[1].article if pair[1].kind == "ingested" else None

    def decided(item: InputItem, first: Outcome, extracted: Extracted | None) -> Outcome:
        if first.kind != "ingested" or first.article is None or extracted is None:
            return first
        try:
            decide = partial(
                run_decide,
                first.article,
                extracted.result,
                store=store,
                now=clock(),
                origin=item.origin,
                original=item.raw,
                settings=settings.decide,
                attempts=extracted.attempts,  # on a dead letter, as the service writes it
                features=extracted.features,
            )
            return with_store_retries(decide)
        except Exception as exc:
            return dead_letter(item, exc, stage="extract", now=clock(), article=first.article)

    # This thread decides in input order. Beside one extraction process it keeps up, and
    # computing the text features here overlaps them with the next extraction; beside more,
    # its own work per article caps the run, so they compute the features beside each
    # extraction.
    features = settings.decide.placement.stories if settings.workers > 1 else None
    ordered = extract_ordered(
        chunks(), article_of, workers=settings.workers, limits=settings.sandbox, features=features
    )
    # The store commits the decisions of up to GROUP_DECISIONS articles together, and only
    # then are their outcomes given out: an outcome written is a decision stored. The first
    # goes out alone, so that its time is the start-up's (`BatchSummary.first_seconds`).
    with store.grouped() as commit:
        pending: list[Outcome] = []
        since = time.monotonic()
        given = False
        for (item, first), extracted in ordered:
            if not pending:
                since = time.monotonic()
            pending.append(decided(item, first, extracted))
            full = len(pending) >= GROUP_DECISIONS or time.monotonic() - since >= GROUP_SECONDS
            if full or not given:
                with_store_retries(commit)
                given = True
                yield from pending
                pending.clear()
        with_store_retries(commit)
        yield from pending


GROUP_DECISIONS = 32
"""Articles whose decisions the store commits together (`DedupStore.grouped`). On the
embedded store a page several of them change is written once: 32 cut the bytes written per
article from 852 to 370 KiB over 2,000 articles, 1,033 to 700 over 10,000
(`python -m benchmarks.store_writes`), the file's write lock held for as long as 32 articles
take to extract and decide."""
GROUP_SECONDS = 1.0
"""A group of decisions is committed once this old at its next article, however few."""


STORE_WAIT_SECONDS = 120.0
"""How long a run waits out a store that is unreachable (a Redis restarting, failing over)
before it stops: a run of hours is not lost to a blip."""


def with_store_retries(call: Callable[[], T]) -> T:
    """`call()`, tried again while it fails retriably (the store unreachable), with backoff,
    for up to `STORE_WAIT_SECONDS` in all, the tries' own time counted (each may spend a
    socket timeout); then the failure stands. A decision tried again is the same decision:
    the store keeps it per article (first writer wins), as it does for the services, which
    rewind their batch and wait the same way."""
    started = time.monotonic()
    slept = 0.0
    delay = 0.5
    while True:
        try:
            return call()
        except Exception as exc:
            waited = max(slept, time.monotonic() - started)
            if not getattr(exc, "retriable", False) or waited >= STORE_WAIT_SECONDS:
                raise
            log.warning("store unavailable, trying again in %.1f s: %s", delay, exc)
            time.sleep(delay)
            slept += delay
            delay = min(delay * 2, 10.0)


def dead_letter(
    item: InputItem, exc: Exception, *, stage: str, now: datetime, article: Article | None = None
) -> Outcome:
    """An input on which a stage raised is dead-lettered `retries_exhausted`, as the services
    dead-letter it after their tries (here one: the stages are deterministic), and the run
    goes on; it stopped the whole run with a traceback. What a retry may mend — the store
    unreachable (`retriable`) — or a configuration error still stops the run. The `article`
    it was, if ingested, is named in the event (its `article_id`, by which a later run into the
    same directory knows the input's outcome recorded)."""
    if getattr(exc, "retriable", False) or isinstance(exc, ConfigError):
        raise exc
    log.exception("processing failed; dead-lettered: %s", item.origin)
    detail = f"{type(exc).__name__}: {exc}"[:1000]
    event = events.rejection_event(
        Rejection(RETRIES_EXHAUSTED, detail),
        stage=stage,
        original=item.raw,
        origin=item.origin,
        rejected_at=format_timestamp(now),
        article=article,
        attempts=1,
    )
    return Outcome("dlq", event)


def write_outcomes(
    outcomes: Iterable[Outcome],
    out_dir: Path,
    *,
    on_outcome: Callable[[Outcome], None],
    whole: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> None:
    """Append each outcome's event to its file in `out_dir`, after an earlier run's outcomes
    (they were emptied; a day's run into the directory of the day before lost that day's, to
    which its duplicates pointed). The files are opened, made if need be, once the first
    outcome is in hand or the outcomes end: what stops a run before that — the extractor
    processes unable to start, Ctrl-C while they start — leaves the directory as it was.
    Each outcome's line is written and `on_outcome` told of it inside one `whole()`: the
    command holds a signal there until both are done, so that what it counts is what the
    files hold."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stream = iter(outcomes)
    first = next(stream, None)
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {}
        for name, _ in OUTPUT_FILES.values():
            if name not in files:
                files[name] = stack.enter_context(open(out_dir / name, "ab"))
        for outcome in chain([first] if first is not None else [], stream):
            name, schema_kind = OUTPUT_FILES[outcome.kind]
            line = encode(schema_kind, outcome.event) + b"\n"
            with whole():
                files[name].write(line)
                on_outcome(outcome)
