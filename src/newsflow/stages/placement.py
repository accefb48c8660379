"""Where a unique article goes beyond exact dedup: near duplicate of an earlier article, and
which story it belongs to. Decided once per article and remembered in the store.

The first decision stored for an article (`DedupStore.commit_decision`) is the one every
redelivery gets back, so downstream never sees two different answers for one article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from newsflow.stages.neardup import METHOD, NearMatch, NearSettings, band_keys, nearest, signature
from newsflow.stages.stories import (
    StoryPlan,
    StorySettings,
    counted_terms,
    event_time,
    plan_with_statistics,
)
from newsflow.store.base import DedupStore
from newsflow.store.records import IndexedSignature, IndexRequest, TermStatistics

if TYPE_CHECKING:
    from newsflow.stages.features import TextFeatures

NearStatus = Literal["unique", "near_duplicate"]


@dataclass(frozen=True, slots=True)
class PlacementSettings:
    """Near-duplicate and story settings, and whether near duplicates leave the clean stream."""

    near: NearSettings = field(default_factory=NearSettings)
    stories: StorySettings = field(default_factory=StorySettings)
    divert_near_duplicates: bool = False

    @property
    def memory_seconds(self) -> int:
        """How long a decision is remembered for redeliveries: the longer window."""
        return max(self.near.window_seconds, self.stories.window_seconds)


@dataclass(frozen=True, slots=True)
class Placement:
    """An article's near-duplicate status, its story, and whether it is diverted."""

    status: NearStatus
    near_duplicate_of: str | None = None
    similarity: float | None = None
    story_id: str | None = None
    diverted: bool = False

    def as_record(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "near_duplicate_of": self.near_duplicate_of,
            "similarity": self.similarity,
            "story_id": self.story_id,
            "diverted": self.diverted,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Placement:
        return cls(
            status=record["status"],
            near_duplicate_of=record.get("near_duplicate_of"),
            similarity=record.get("similarity"),
            story_id=record.get("story_id"),
            diverted=bool(record.get("diverted")),
        )

    def dedup(self) -> dict[str, Any]:
        """The clean event's `dedup` object."""
        near = self.status == "near_duplicate"
        return {
            "status": self.status,
            "near_duplicate_of": self.near_duplicate_of,
            "similarity": self.similarity,
            "method": METHOD if near else None,
        }


def place(
    article_id: str,
    *,
    source: str,
    title: str | None,
    text: str,
    published_at: str | None,
    fetched_at: str | None,
    store: DedupStore,
    now: datetime,
    settings: PlacementSettings | None = None,
    features: TextFeatures | None = None,
    indexed: Indexed | None = None,
) -> Placement:
    """Decide (or recall) the article's near-duplicate status and story.

    A near duplicate joins the story of the article it repeats; diverted near duplicates get
    no story. Under redelivery the work is redone against the current state, but the commit
    returns the first stored decision, and the store counts the article in a story once.
    `features`: the title's and text's signature and counted terms, when computed already
    (see `features`; used only when they fit this title, text and story settings).
    `indexed`: the store's answer to `index_request(...)` for these features, when it was
    asked already (with the steps before it, `DedupStore.begin_decision`).
    """
    settings = settings or PlacementSettings()
    stamp = now.timestamp()
    at = event_time(published_at, fetched_at, now)
    if features is not None and features.fits(title, text, settings.stories):
        sig, counts, language = features.signature, features.counts, features.language
    else:
        sig = signature(text)
        counts, language = counted_terms(title, text, settings.stories)
    if indexed is not None and sig is not None:
        entries, stats = indexed
        match = nearest(sig, entries, settings.near)
    else:
        match, stats = _near_and_statistics(article_id, sig, counts, store, at, stamp, settings)
    if match is not None and settings.divert_near_duplicates:
        placement = Placement("near_duplicate", match.article_id, match.similarity, None, True)
        return _commit(store, article_id, placement, None, settings, stamp)
    story_of_original = None
    if match is not None and abs(at - match.at) <= settings.stories.window_seconds:
        # (further apart, the original's story has ended: a near-duplicate window longer
        # than the story window would otherwise revive it, in part)
        original = store.recall_decision(match.article_id, now=stamp)
        story_of_original = original.get("story_id") if original else None
    plan = plan_with_statistics(
        article_id,
        title,
        counts,
        stats,
        language=language,
        source=source,
        at=at,
        settings=settings.stories,
        story_of_original=story_of_original,
    )
    story_id = plan.update.story_id  # the store may choose another at commit
    if match is None:
        placement = Placement("unique", story_id=story_id)
    else:
        placement = Placement("near_duplicate", match.article_id, match.similarity, story_id)
    return _commit(store, article_id, placement, plan, settings, stamp)


Indexed = tuple[list[IndexedSignature], TermStatistics]
"""The store's answer to an `IndexRequest`: earlier entries sharing a band, term statistics."""


def index_request(
    article_id: str,
    features: TextFeatures,
    *,
    published_at: str | None,
    fetched_at: str | None,
    now: datetime,
    settings: PlacementSettings,
) -> IndexRequest | None:
    """What `place` first asks the store for an article with these features (None for a text
    without words), so that it can be asked with the steps before it."""
    if features.signature is None:
        return None
    return _index_request(
        article_id,
        features.signature,
        features.counts,
        event_time(published_at, fetched_at, now),
        settings,
    )


def _index_request(
    article_id: str, sig: bytes, counts: dict[str, float], at: float, settings: PlacementSettings
) -> IndexRequest:
    return IndexRequest(
        article_id,
        band_keys(sig),
        sig,
        list(counts),
        at,
        settings.near.window_seconds,
        settings.stories.window_seconds,
    )


def _near_and_statistics(
    article_id: str,
    sig: bytes | None,
    counts: dict[str, float],
    store: DedupStore,
    at: float,
    now: float,
    settings: PlacementSettings,
) -> tuple[NearMatch | None, TermStatistics]:
    """Index the article's signature and read its terms' statistics, in one store call (one
    round trip on Redis); a text without words has no signature and is not indexed."""
    story_window = settings.stories.window_seconds
    if sig is None:
        return None, store.term_statistics(list(counts), at=at, window_seconds=story_window)
    request = _index_request(article_id, sig, counts, at, settings)
    entries, stats = store.index_and_term_statistics(
        article_id,
        request.bands,
        sig,
        request.terms,
        at=at,
        near_window_seconds=request.near_window_seconds,
        story_window_seconds=request.story_window_seconds,
        now=now,
    )
    return nearest(sig, entries, settings.near), stats


def _commit(
    store: DedupStore,
    article_id: str,
    placement: Placement,
    plan: StoryPlan | None,
    settings: PlacementSettings,
    now: float,
) -> Placement:
    stored = store.commit_decision(
        article_id,
        placement.as_record(),
        story=plan.update if plan else None,
        choice=plan.choice if plan else None,
        ttl_seconds=settings.memory_seconds,
        now=now,
    )
    return Placement.from_record(stored)
