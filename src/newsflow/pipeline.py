"""One message through the stages: the composition shared by the services and the batch runner.

`run_ingest` turns raw bytes into an ingested or rejected outcome. `run_decide` takes an
article and its extraction result and decides clean / duplicate / dlq against the store.
Extraction itself runs in between, in a sandbox (see `newsflow.sandbox`), because it is the
only stage that can be slow or crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from newsflow import events
from newsflow import rejection as R
from newsflow.errors import ConfigError
from newsflow.model import Article, Decision, Extraction, Fingerprint, Origin
from newsflow.rejection import Rejection
from newsflow.stages import recrawl
from newsflow.stages.boilerplate import BoilerplateSettings, drop_lines, recurring_lines
from newsflow.stages.dedup import (
    DEFAULT_TTL_SECONDS,
    EXACT,
    NEAR,
    decide_exact,
    decision_of,
    exact_claim,
)
from newsflow.stages.features import TextFeatures, text_features
from newsflow.stages.fingerprint import fingerprint
from newsflow.stages.ingest import IngestLimits, format_timestamp, ingest, peek_provenance
from newsflow.stages.placement import Indexed, PlacementSettings, index_request, place
from newsflow.stages.stories import StorySettings
from newsflow.store.base import DedupStore
from newsflow.store.records import Begun, Claim

OutcomeKind = Literal["ingested", "rejected", "clean", "duplicate", "dlq"]
NO_WORDS_LEFT = (
    "main text has no words once normalized (only elongations, marks or invisible characters)"
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one message goes (`kind` names the output topic or file) and what is written."""

    kind: OutcomeKind
    event: dict[str, Any]
    key: bytes | None = None
    article: Article | None = None


@dataclass(frozen=True, slots=True)
class DecideSettings:
    """How long a content hash is remembered for exact dedup; near duplicates and stories;
    learned boilerplate."""

    dedup_ttl_seconds: int = DEFAULT_TTL_SECONDS
    placement: PlacementSettings = field(default_factory=PlacementSettings)
    boilerplate: BoilerplateSettings = field(default_factory=BoilerplateSettings)


def run_ingest(
    raw: bytes, *, origin: Origin, now: datetime, limits: IngestLimits | None = None
) -> Outcome:
    """Validate a raw message: `ingested` (key: canonical URL) or `rejected`."""
    result = ingest(raw, now=now, limits=limits)
    if isinstance(result, Rejection):
        source_id, url = peek_provenance(raw)
        event = events.rejection_event(
            result,
            stage="ingest",
            original=raw,
            origin=origin,
            rejected_at=format_timestamp(now),
            source_id=source_id,
            url=url,
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


def _without_boilerplate(
    extracted: Extraction, article: Article, begun: Begun, settings: BoilerplateSettings
) -> tuple[Extraction, set[int]]:
    """The extraction without its learned boilerplate lines, and which lines those were.

    A redelivered article drops the lines its first decision dropped (its raw body's marker
    says which), not those that recur now: a line learned since would change its text, its
    hash, and so its decision (a duplicate became unique). Should the text not come out as
    it did then (another extractor version), the lines that recur now are dropped."""
    first = recrawl.first_text(article, begun.marked, begun.marked_lines)
    if first is not None:  # (it may have dropped none: a duplicate of its whole text)
        again = drop_lines(extracted, set(first.dropped))
        if fingerprint(again.text).content_hash == first.content_hash:
            return again, set(first.dropped)
    lines = recurring_lines(begun.line_counts, settings)
    kept = drop_lines(extracted, lines)
    return kept, (lines if kept is not extracted else set())


def _features(
    extracted: Extraction, given: TextFeatures | None, stories: StorySettings
) -> TextFeatures:
    """The text features of `extracted`: `given` when they are its own."""
    if given is not None and given.fits(extracted.title, extracted.text, stories):
        return given
    return text_features(extracted.title, extracted.text, stories)


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

    The line counts of learned boilerplate, the claim and the near-duplicate index are one
    store call (`DedupStore.begin_decision`), then the story commit another: two round trips
    for a unique article on Redis. When a line recurs, the claim and the index follow on
    the text without it, one call each. Should a step after the claim raise (the article is
    then dead-lettered), the claim, the body's mark and the index entry are given back.
    """
    settings = settings or DecideSettings()
    stamp = format_timestamp(now)
    stories = settings.placement.stories
    if isinstance(extracted, Extraction):
        features = _features(extracted, features, stories)
        if features.fingerprint.word_count == 0:  # every such text would share one hash
            extracted = Rejection(R.NO_MAIN_TEXT, NO_WORDS_LEFT)
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
        key = article.canonical_url.encode("utf-8")  # the input's key: a replay keeps it
        return Outcome("dlq", event, key=key, article=article)
    features = _features(extracted, features, stories)  # (computed above)
    fp = features.fingerprint
    claim = exact_claim(
        article.article_id,
        fp,
        ttl_seconds=settings.dedup_ttl_seconds,
        mark=recrawl.mark(article, fp.content_hash),
    )
    index = index_request(
        article.article_id,
        features,
        published_at=extracted.published_at,
        fetched_at=article.fetched_at,
        now=now,
        settings=settings.placement,
    )
    claims = [claim]  # each claim the decision makes: given back should it fail
    with _given_back_on_failure(store, claims, now=now.timestamp()):
        begun = store.begin_decision(
            article.source,
            fp.content_hash,
            features.line_hashes,
            lines_ttl_seconds=settings.boilerplate.ttl_seconds,
            recurring_at=settings.boilerplate.min_documents,
            claim=claim,
            index=index,
            now=now.timestamp(),
        )
        indexed: Indexed | None = None
        if begun.owner is not None:  # no line recurs: the text stays, and so do its features
            decision = decision_of(article.article_id, begun.owner)
            if begun.indexed is not None and begun.statistics is not None:
                indexed = (begun.indexed, begun.statistics)
        else:  # learned boilerplate: the claim (and what follows) on the text without it
            extracted, dropped = _without_boilerplate(
                extracted, article, begun, settings.boilerplate
            )
            features = _features(extracted, features, stories)
            fp = features.fingerprint
            mark = recrawl.mark(article, fp.content_hash, dropped)
            claims.append(
                exact_claim(
                    article.article_id, fp, ttl_seconds=settings.dedup_ttl_seconds, mark=mark
                )
            )
            decision = decide_exact(
                article.article_id,
                fp,
                store,
                now=now.timestamp(),
                ttl_seconds=settings.dedup_ttl_seconds,
                mark=mark,
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
            indexed=indexed,
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


@contextmanager
def _given_back_on_failure(store: DedupStore, claims: list[Claim], *, now: float) -> Iterator[None]:
    """Release `claims` (`DedupStore.release_claim`) when the decision under way fails: the
    article is dead-lettered for it (after its tries, each of which claims anew), and a
    dead-lettered article owns nothing, so that a later copy of its text is not a duplicate
    of an article that never reached the clean stream. A failure that is retried as it stands
    (the store unreachable: `retriable`) or that stops the worker (`ConfigError`) keeps the
    claims, as does an article with a stored decision (the store's rule). A release the store
    cannot make now is raised instead, retriable: the decision is tried again."""
    try:
        yield
    except Exception as exc:
        if getattr(exc, "retriable", False) or isinstance(exc, ConfigError):
            raise
        for claim in claims:
            try:
                store.release_claim(claim, now=now)
            except Exception as failed:
                if getattr(failed, "retriable", False) or isinstance(failed, ConfigError):
                    raise failed from exc
                exc.add_note(f"giving back its claim failed: {type(failed).__name__}: {failed}")
        raise
