"""One message through the stages: the composition shared by the services and the batch runner.

`run_ingest` turns raw bytes into an ingested or rejected outcome. `run_decide` takes an
article and its extraction result and decides clean / duplicate / dlq against the store.
Extraction itself runs in between, in a sandbox (see `newsflow.sandbox`), because it is the
only stage that can be slow or crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from newsflow import events
from newsflow.model import Article, Decision, Extraction, Fingerprint, Origin
from newsflow.rejection import Rejection
from newsflow.stages import recrawl
from newsflow.stages.boilerplate import strip_learned_boilerplate
from newsflow.stages.dedup import DEFAULT_TTL_SECONDS, EXACT, NEAR, decide_exact
from newsflow.stages.features import TextFeatures
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.ingest import IngestLimits, format_timestamp, ingest, peek_source_id
from newsflow.stages.placement import PlacementSettings, place
from newsflow.store.base import DedupStore

OutcomeKind = Literal["ingested", "rejected", "clean", "duplicate", "dlq"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one message goes (`kind` names the output topic or file) and what is written."""

    kind: OutcomeKind
    event: dict[str, Any]
    key: bytes | None = None
    article: Article | None = None


@dataclass(frozen=True, slots=True)
class DecideSettings:
    """How long a content hash is remembered for exact dedup; near duplicates and stories."""

    dedup_ttl_seconds: int = DEFAULT_TTL_SECONDS
    placement: PlacementSettings = field(default_factory=PlacementSettings)


def run_ingest(
    raw: bytes, *, origin: Origin, now: datetime, limits: IngestLimits | None = None
) -> Outcome:
    """Validate a raw message: `ingested` (key: canonical URL) or `rejected`."""
    result = ingest(raw, now=now, limits=limits)
    if isinstance(result, Rejection):
        event = events.rejection_event(
            result,
            stage="ingest",
            original=raw,
            origin=origin,
            rejected_at=format_timestamp(now),
            source_id=peek_source_id(raw),
        )
        return Outcome("rejected", event)
    return Outcome(
        "ingested",
        events.ingested_event(result),
        key=result.canonical_url.encode("utf-8"),
        article=result,
    )


def run_recrawl(
    article: Article, *, store: DedupStore, now: datetime, settings: DecideSettings | None = None
) -> Outcome | None:
    """The outcome of a byte-identical re-crawl of an article decided before (an exact
    duplicate, decided without extraction), or None when the article must be extracted."""
    found = recrawl.recognize(article, store, now=now.timestamp())
    return None if found is None else recrawl_outcome(article, found, now=now)


def recrawl_outcome(article: Article, found: recrawl.Recrawl, *, now: datetime) -> Outcome:
    """The duplicate outcome of a re-crawl recognized from its raw body."""
    decision = Decision("duplicate", found.duplicate_of, EXACT)
    fp = Fingerprint(content_hash=found.content_hash, word_count=0)
    event = events.duplicate_event(article, fp, decision, decided_at=format_timestamp(now))
    return Outcome("duplicate", event, key=article.article_id.encode(), article=article)


def run_decide(
    article: Article,
    extracted: Extraction | Rejection,
    *,
    store: DedupStore,
    now: datetime,
    origin: Origin,
    original: bytes,
    settings: DecideSettings | None = None,
    attempts: int | None = None,
    features: TextFeatures | None = None,
) -> Outcome:
    """Fingerprint and dedup an extracted article: `clean`, `duplicate`, or `dlq` on failure.

    The exact-dedup claim also marks the article's raw body (`recrawl.mark`), so its
    re-crawls skip extraction. `features`: the extraction's text features, when computed
    beside it (`newsflow process`); those a dropped boilerplate line changed are recomputed.
    """
    settings = settings or DecideSettings()
    stamp = format_timestamp(now)
    if isinstance(extracted, Rejection):
        event = events.rejection_event(
            extracted,
            stage="extract",
            original=original,
            origin=origin,
            rejected_at=stamp,
            article=article,
            attempts=attempts,
        )
        return Outcome("dlq", event, key=article.article_id.encode(), article=article)
    extracted = strip_learned_boilerplate(
        article.source, extracted, store, now=now.timestamp(), features=features
    )
    stories = settings.placement.stories
    if features is not None and not features.fits(extracted.title, extracted.text, stories):
        features = None
    fp = features.fingerprint if features is not None else fingerprint(extracted.text)
    decision = decide_exact(
        article.article_id,
        fp,
        store,
        now=now.timestamp(),
        ttl_seconds=settings.dedup_ttl_seconds,
        mark=recrawl.mark(article, fp.content_hash),
    )
    key = article.article_id.encode()
    if decision.status == "duplicate":
        event = events.duplicate_event(article, fp, decision, decided_at=stamp)
        return Outcome("duplicate", event, key=key, article=article)
    placement = place(
        article.article_id,
        source=article.source,
        title=extracted.title,
        text=extracted.text,
        published_at=extracted.published_at,
        fetched_at=article.fetched_at,
        store=store,
        now=now,
        settings=settings.placement,
        features=features,
    )
    if placement.diverted:
        near = Decision("duplicate", placement.near_duplicate_of, NEAR)
        event = events.duplicate_event(
            article, fp, near, decided_at=stamp, similarity=placement.similarity
        )
        return Outcome("duplicate", event, key=key, article=article)
    event = events.clean_event(
        article,
        extracted,
        fp,
        extracted_at=stamp,
        dedup=placement.dedup(),
        story_id=placement.story_id,
    )
    return Outcome("clean", event, key=key, article=article)
