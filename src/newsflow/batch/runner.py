"""`newsflow process`: run every input through the stages and write one outcome file each.

Extraction runs in parallel sandboxes; decisions are made in input order in this process, so
the outcomes are the same whatever the number of workers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from newsflow import events
from newsflow.batch.inputs import InputItem
from newsflow.contracts.codec import EventKind, encode
from newsflow.model import Article
from newsflow.pipeline import DecideSettings, Outcome, run_decide, run_ingest, run_recrawl
from newsflow.sandbox import SandboxLimits, extract_ordered
from newsflow.stages.ingest import WEB_SCHEMES, IngestLimits, format_timestamp
from newsflow.store.base import DedupStore

OUTPUT_FILES: dict[str, tuple[str, EventKind]] = {
    "clean": ("clean.ndjson", "clean"),
    "duplicate": ("duplicates.ndjson", "duplicate"),
    "rejected": ("rejected.ndjson", "rejection"),
    "dlq": ("rejected.ndjson", "rejection"),
}


@dataclass
class BatchSummary:
    """What a run did: outcomes by kind, rejections by reason, time taken."""

    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    @property
    def duplicate_ratio(self) -> float:
        decided = self.outcomes["clean"] + self.outcomes["duplicate"]
        return self.outcomes["duplicate"] / decided if decided else 0.0

    def record(self, outcome: Outcome) -> None:
        kind = "rejected" if outcome.kind == "dlq" else outcome.kind
        self.outcomes[kind] += 1
        if kind == "rejected":
            self.reasons[outcome.event["reason"]] += 1


@dataclass(frozen=True, slots=True)
class BatchSettings:
    workers: int = 1
    ingest: IngestLimits = field(default_factory=IngestLimits)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    decide: DecideSettings = field(default_factory=DecideSettings)


def process_items(
    items: Iterable[InputItem],
    *,
    store: DedupStore,
    settings: BatchSettings,
    clock: Callable[[], datetime],
) -> Iterator[Outcome]:
    """Every item's one outcome, in input order."""
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
        outcome = run_ingest(item.raw, origin=item.origin, now=clock(), limits=limits)
        if outcome.article is not None:
            # A re-crawl of a body decided before needs no extraction. (One whose first copy
            # is still in flight is extracted; both ways give the same outcome.)
            shortcut = run_recrawl(outcome.article, store=store, now=clock(),
                                   settings=settings.decide)  # fmt: skip
            if shortcut is not None:
                return item, shortcut
        return item, outcome

    def article_of(pair: tuple[InputItem, Outcome]) -> Article | None:
        return pair[1].article if pair[1].kind == "ingested" else None

    pairs = (ingested(item) for item in items)
    # The text features are computed beside each extraction, in its process: this thread
    # decides in input order, so its own work per article caps the run.
    for (item, first), extracted in extract_ordered(
        pairs,
        article_of,
        workers=settings.workers,
        limits=settings.sandbox,
        features=settings.decide.placement.stories,
    ):
        if first.kind != "ingested" or first.article is None or extracted is None:
            yield first
            continue
        yield run_decide(
            first.article,
            extracted.result,
            store=store,
            now=clock(),
            origin=item.origin,
            original=item.raw,
            settings=settings.decide,
            features=extracted.features,
        )


def write_outcomes(
    outcomes: Iterable[Outcome], out_dir: Path, *, on_outcome: Callable[[Outcome], None]
) -> None:
    """Append each outcome's event to its file in `out_dir` (files are created empty first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {}
        for name, _ in OUTPUT_FILES.values():
            if name not in files:
                files[name] = stack.enter_context(open(out_dir / name, "wb"))
        for outcome in outcomes:
            name, schema_kind = OUTPUT_FILES[outcome.kind]
            files[name].write(encode(schema_kind, outcome.event) + b"\n")
            on_outcome(outcome)
